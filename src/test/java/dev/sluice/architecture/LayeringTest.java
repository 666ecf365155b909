package dev.sluice.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layering, as a test: the Spark side knows nothing of Spring or of the service around it,
 * nothing but the web layer knows the web layer, and no two packages depend on each other.
 */
@AnalyzeClasses(packages = "dev.sluice", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    @ArchTest
    static final ArchRule packagesHaveNoCycles =
            slices().matching("dev.sluice.(*)..").should().beFreeOfCycles();

    /** Pipelines, their sinks and parsers run inside Spark tasks: testable with a bare SparkSession. */
    @ArchTest
    static final ArchRule theSparkSideIsFreeOfSpringAndOfTheService = noClasses()
            .that()
            .resideInAPackage("dev.sluice.pipeline..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "org.springframework..",
                    "dev.sluice.api..",
                    "dev.sluice.config..",
                    "dev.sluice.definition..",
                    "dev.sluice.run..",
                    "dev.sluice.metrics..",
                    "dev.sluice.health..",
                    "dev.sluice.audit..");

    /** The planner and its SQL policy too; only the stores that keep definitions in PostgreSQL use Spring's JDBC. */
    @ArchTest
    static final ArchRule thePlannerIsFreeOfSpring = noClasses()
            .that()
            .resideInAPackage("dev.sluice.definition..")
            .and()
            .haveSimpleNameNotEndingWith("Store")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.springframework..");

    @ArchTest
    static final ArchRule onlyTheWebLayerKnowsTheWebLayer = noClasses()
            .that()
            .resideOutsideOfPackage("dev.sluice.api..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.sluice.api..");

    /** The control plane reaches the engine, never the other way round. */
    @ArchTest
    static final ArchRule theEngineDoesNotKnowTheControlPlane = noClasses()
            .that()
            .resideInAnyPackage("dev.sluice.pipeline..", "dev.sluice.definition..", "dev.sluice.run..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.sluice.api..", "dev.sluice.config..", "dev.sluice.audit..");

    /** API -> catalog (definitions) -> runs -> engine: the runs never reach back to the catalog. */
    @ArchTest
    static final ArchRule theRunsDoNotKnowTheCatalog = noClasses()
            .that()
            .resideInAPackage("dev.sluice.run..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.sluice.definition..", "dev.sluice.metrics..", "dev.sluice.health..");

    /**
     * The packaged jar's launcher runs from the jar's root before any library is on the class path
     * (the build copies the package there): it may use the JDK only.
     */
    @ArchTest
    static final ArchRule theLauncherNeedsOnlyTheJdk = classes()
            .that()
            .resideInAPackage("dev.sluice.launch..")
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage("java..", "dev.sluice.launch..");
}
