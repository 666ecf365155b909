package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.Infrastructure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * COPY's binary format against a real PostgreSQL: every value it writes is stored exactly as the
 * text format stores it, and a table or a value it does not write goes in the text format, with
 * nothing lost.
 */
class CopyFormatsIT {

    private static final String TYPES = "(t text, v varchar(12), c char(4), i2 smallint, i4 integer, i8 bigint,"
            + " f4 real, f8 double precision, b boolean, raw bytea, ts timestamp, tstz timestamptz, wide bigint)";
    private static final List<String> COLUMNS =
            List.of("t", "v", "c", "i2", "i4", "i8", "f4", "f8", "b", "raw", "ts", "tstz", "wide");

    @Test
    void everyValueTheBinaryFormatWritesIsStoredAsTheTextFormatStoresIt() throws SQLException {
        List<Row> rows = List.of(
                row(
                        "plain",
                        "v",
                        "ab",
                        (short) 1,
                        1,
                        1L,
                        1.5f,
                        1.5,
                        true,
                        new byte[] {0, 1, (byte) 0xFF},
                        at("2026-11-30T10:00:00.123456Z"),
                        at("2026-11-30T10:00:00.123456Z"),
                        7),
                row(
                        "tab\\tnew\nline\\\\back \\N",
                        "\uac15\ub0a8 \ud83d\ude97",
                        "",
                        Short.MIN_VALUE,
                        Integer.MIN_VALUE,
                        Long.MAX_VALUE,
                        Float.NaN,
                        Double.NEGATIVE_INFINITY,
                        false,
                        new byte[0],
                        at("1969-07-20T20:17:40Z"),
                        at("1900-01-01T00:00:00.000001Z"),
                        Integer.MAX_VALUE),
                row(
                        UTF8String.fromString("utf8 \u00e9"),
                        UTF8String.fromString(""),
                        UTF8String.fromString("abcd"),
                        Short.MAX_VALUE,
                        Integer.MAX_VALUE,
                        Long.MIN_VALUE,
                        -0.0f,
                        Double.MIN_VALUE,
                        true,
                        new byte[] {'\\', 'x'},
                        at("2000-01-01T00:00:00Z"),
                        at("1999-12-31T23:59:59.999999Z"),
                        (short) -3),
                row(null, null, null, null, null, null, Float.POSITIVE_INFINITY, -0.0, null, null, null, null, null),
                row(
                        "last",
                        "x",
                        "x",
                        (short) 0,
                        0,
                        0L,
                        Float.MIN_VALUE,
                        Double.MAX_VALUE,
                        false,
                        new byte[] {(byte) 0x80},
                        at("2262-04-11T23:47:16.854775Z"),
                        at("0001-01-01T00:00:00Z"),
                        0L));

        try (Connection connection = connect()) {
            String binary = table(connection, "copy_binary", TYPES);
            String text = table(connection, "copy_text", TYPES);
            try (RowSender sender = RowSender.open(WriteMethod.COPY, connection, binary, COLUMNS, 0)) {
                assertThat(sender.format()).isEqualTo("binary");
                for (Row row : rows) {
                    sender.buffer(row);
                }
                sender.sendBuffered(rows);
                sender.send(rows.subList(0, 2));
                assertThat(sender.format()).isEqualTo("binary");
            }
            try (RowSender sender = RowSender.open(WriteMethod.COPY_TEXT, connection, text, COLUMNS, 0)) {
                assertThat(sender.format()).isEqualTo("text");
                for (Row row : rows) {
                    sender.buffer(row);
                }
                sender.sendBuffered(rows);
                sender.send(rows.subList(0, 2));
            }
            connection.commit();

            List<String> stored = stored(connection, binary);
            assertThat(stored).hasSize(7).isEqualTo(stored(connection, text));
            assertThat(stored)
                    .contains("(plain,v,\"ab  \",1,1,1,1.5,1.5,t,\"\\\\x0001ff\",\"2026-11-30 10:00:00.123456\","
                            + "\"2026-11-30 10:00:00.123456+00\",7)");
        }
    }

    @Test
    void aValueTheBinaryFormatDoesNotWriteTurnsTheRestToTextWithNothingLost() throws SQLException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            // an integer into a smallint: the text format stores it (or the table refuses it), not the binary
            rows.add(RowFactory.create(i, i < 40 ? null : i));
        }
        try (Connection connection = connect()) {
            String table = table(connection, "copy_switch", "(id integer, small smallint)");
            try (RowSender sender = RowSender.open(WriteMethod.COPY, connection, table, List.of("id", "small"), 0)) {
                for (Row row : rows) {
                    sender.buffer(row);
                }
                assertThat(sender.format()).isEqualTo("text");
                sender.sendBuffered(rows);
            }
            String numeric = table(connection, "copy_numeric", "(id integer, amount numeric(10, 2))");
            try (RowSender sender = RowSender.open(WriteMethod.COPY, connection, numeric, List.of("id", "amount"), 0)) {
                assertThat(sender.format()).isEqualTo("text");
                sender.send(List.of(RowFactory.create(1, 2.5)));
            }
            connection.commit();

            assertThat(stored(connection, table)).hasSize(100).contains("(0,)", "(39,)", "(40,40)", "(99,99)");
            assertThat(stored(connection, numeric)).containsExactly("(1,2.50)");
        }
    }

    private static Row row(Object... values) {
        return RowFactory.create(values);
    }

    private static Timestamp at(String instant) {
        return Timestamp.from(Instant.parse(instant));
    }

    private static Connection connect() throws SQLException {
        Connection connection = DriverManager.getConnection(Infrastructure.postgresUrl());
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET TIME ZONE 'UTC'");
        }
        return connection;
    }

    private static String table(Connection connection, String name, String columns) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS public." + name);
            statement.execute("CREATE TABLE public." + name + " " + columns);
        }
        return name;
    }

    /** Each stored row as PostgreSQL prints it, sorted. */
    private static List<String> stored(Connection connection, String table) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT x::text FROM " + table + " x ORDER BY 1")) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }
}
