package dev.sluice.definition;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of Spark's built-in functions a definition's SQL may call: those on the allow-list
 * ({@code sql-functions-allowed.txt}), never those {@link #DENIED} (with the reason), and never
 * user code. Part of the {@link SqlPolicy}.
 */
final class SqlFunctions {

    /**
     * Spark 3.5's built-in functions that pipelines may not call, and why. Every other built-in is
     * on the allow-list; SqlPolicyTest keeps the two equal to Spark's registry.
     */
    static final Map<String, String> DENIED = denied();

    private static final Set<String> ALLOWED = readAllowed();

    /** Expression classes behind the denied functions, and user-defined code of any kind. */
    private static final Set<String> DENIED_EXPRESSIONS = Set.of(
            "CallMethodViaReflection",
            "TryReflect",
            "CurrentUser",
            "CurrentDatabase",
            "CurrentCatalog",
            "SparkVersion",
            "RaiseError",
            "AssertTrue",
            "ScalaUDF",
            "ScalaAggregator",
            "ScalaUDAF",
            "PythonUDF",
            "PythonUDAF",
            "HiveSimpleUDF",
            "HiveGenericUDF",
            "HiveGenericUDTF",
            "HiveUDAFFunction");

    private SqlFunctions() {}

    /** The built-in functions a definition may call (the allow-list). */
    static Set<String> allowed() {
        return ALLOWED;
    }

    /** Whether an analysed expression of this class is a denied function's, or user code. */
    static boolean deniedExpression(String simpleClassName) {
        return DENIED_EXPRESSIONS.contains(simpleClassName);
    }

    /** Throws {@link SqlPolicy.Refused} unless the function (by its name's parts) is on the allow-list. */
    static void check(List<String> parts) {
        String name = String.join(".", parts).toLowerCase(Locale.ROOT);
        String reason = DENIED.get(name);
        if (reason != null) {
            throw new SqlPolicy.Refused("the function " + name + " is not allowed: it " + reason);
        }
        if (parts.size() != 1 || !ALLOWED.contains(name)) {
            throw new SqlPolicy.Refused(
                    "the function " + name + " is not one of Spark's built-in functions that a pipeline may call");
        }
    }

    private static Map<String, String> denied() {
        Map<String, String> denied = new LinkedHashMap<>();
        String reflection = "calls any Java method in the server's JVM (environment, files, processes)";
        denied.put("reflect", reflection);
        denied.put("java_method", reflection);
        denied.put("try_reflect", reflection);
        String xml = "parses XML with a parser that loads external DTDs, reaching files and the network";
        for (String name : List.of(
                "xpath",
                "xpath_boolean",
                "xpath_double",
                "xpath_float",
                "xpath_int",
                "xpath_long",
                "xpath_number",
                "xpath_short",
                "xpath_string")) {
            denied.put(name, xml);
        }
        String identity = "reveals the server's identity rather than the record's data";
        for (String name : List.of(
                "current_user",
                "user",
                "session_user",
                "current_catalog",
                "current_database",
                "current_schema",
                "version")) {
            denied.put(name, identity);
        }
        String failure =
                "fails the micro-batch on purpose, which would stop the pipeline for good; use a rule to send such records to the dead letters";
        denied.put("raise_error", failure);
        denied.put("assert_true", failure);
        return Map.copyOf(denied);
    }

    private static Set<String> readAllowed() {
        try (InputStream in = SqlFunctions.class.getResourceAsStream("sql-functions-allowed.txt")) {
            if (in == null) {
                throw new IllegalStateException("sql-functions-allowed.txt is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .collect(Collectors.toUnmodifiableSet());
        } catch (IOException e) {
            throw new IllegalStateException("sql-functions-allowed.txt cannot be read", e);
        }
    }
}
