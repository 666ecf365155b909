#!/usr/bin/env bash
# The image's entrypoint.
#   driver [args]  the Sluice service (the Spark driver); args are Spring Boot arguments
#   executor       a Spark executor, as the driver starts it in a pod on Kubernetes (Spark passes
#                  everything in SPARK_* variables)
#   anything else  run as given
set -euo pipefail

APP_HOME="${APP_HOME:-/app}"
JAVA="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
APP_JAR="$(ls "${APP_HOME}"/sluice*.jar | head -n 1)"

# The Java 17 module flags Spark needs (the jar's manifest gives them to java -jar).
MODULE_FLAGS=(-XX:+IgnoreUnrecognizedVMOptions)
for package in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util \
        java.util.concurrent java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs \
        sun.security.action sun.util.calendar; do
    MODULE_FLAGS+=("--add-opens=java.base/${package}=ALL-UNNAMED")
done

# In a pod, Spark binds to and advertises the pod's IP (set POD_IP from status.podIP).
if [ -n "${POD_IP:-}" ]; then
    export SPARK_LOCAL_IP="${POD_IP}"
fi

command="${1:-driver}"
case "${command}" in
    driver)
        shift || true
        DRIVER_FLAGS=()
        if [ -n "${POD_IP:-}" ]; then
            DRIVER_FLAGS+=("-Dspark.driver.host=${SPARK_DRIVER_HOST:-${POD_IP}}" "-Dspark.driver.bindAddress=${POD_IP}")
        fi
        if [ -n "${POD_NAME:-}" ]; then
            # Executor pods are owned by the driver pod: they go when it goes.
            DRIVER_FLAGS+=("-Dspark.kubernetes.driver.pod.name=${POD_NAME}")
        fi
        if [ -n "${SPARK_LOCAL_DIRS:-}" ]; then
            DRIVER_FLAGS+=("-Dspark.local.dir=${SPARK_LOCAL_DIRS}")
        fi
        # The class-data archive the image was built with (train-class-data.sh): a faster start.
        # Not with an agent or a flight recording from the JVM's start: such a hook crashes Java 17
        # on archived classes of multi-release jars (JDK-8343427). The service loads those classes
        # first thing (multi-release-classes.txt), so one started later is safe.
        if [ -f "${APP_HOME}/sluice.jsa" ]; then
            if [[ " ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} " =~ \ -(javaagent:|agentlib:|agentpath:|XX:StartFlightRecording) ]]; then
                echo "Sluice: starting without the class-data archive: an agent or a flight recording from the JVM's start crashes Java 17 on archived classes of multi-release jars (JDK-8343427)" >&2
            else
                DRIVER_FLAGS+=("-XX:SharedArchiveFile=${APP_HOME}/sluice.jsa")
            fi
        fi
        # Fewer and later JIT compilations: most of what a cold start compiles runs only while the
        # service starts, and compiling it took over a core; the code that runs each record is
        # compiled as before, a moment later. JAVA_OPTS comes after, so it can set its own.
        DRIVER_DEFAULTS=(-XX:CompileThresholdScaling=4)
        # The first collection for class metadata at 256 MiB, not about 21: the driver loads its
        # classes in the first seconds and, from the default, stopped for a full collection twice
        # (about 150 ms each), once while the pipelines were catching up.
        DRIVER_DEFAULTS+=(-XX:MetaspaceSize=256m)
        # The throughput collector: on a cold start with 2 cores, G1's concurrent work and barriers
        # competed with the JIT compiler and the pipeline; the parallel collector gave a faster
        # first row and catch-up for less CPU per row. A collector chosen in JAVA_OPTS,
        # JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS wins (the JVM refuses two). With it, a young
        # generation of a fixed 256 MiB: a catch-up's garbage is per record and its live data tens
        # of MiB (polled records, the chunk being written), so the young generation's memory is
        # reused from the first collection on, where a growing one faulted in fresh pages (each
        # zeroed by the kernel) through the whole catch-up. -Xmn in JAVA_OPTS wins.
        if [[ " ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} " != *" -XX:+Use"*"GC "* ]]; then
            DRIVER_DEFAULTS+=(-XX:+UseParallelGC -Xmn256m)
        fi
        # JAVA_OPTS is split on spaces on purpose: it holds flags such as -Xmx2g.
        # shellcheck disable=SC2086
        exec "${JAVA}" "${DRIVER_DEFAULTS[@]}" ${JAVA_OPTS:-} "${DRIVER_FLAGS[@]}" -jar "${APP_JAR}" "$@"
        ;;
    executor)
        shift
        # Spark hands its executor JVM options over as SPARK_JAVA_OPT_0, SPARK_JAVA_OPT_1, ...
        EXECUTOR_OPTS=()
        while IFS= read -r option; do
            EXECUTOR_OPTS+=("${option}")
        done < <(env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
        exec "${JAVA}" "${MODULE_FLAGS[@]}" "${EXECUTOR_OPTS[@]}" \
            -Xms"${SPARK_EXECUTOR_MEMORY}" -Xmx"${SPARK_EXECUTOR_MEMORY}" \
            -cp "${APP_JAR}:${APP_HOME}/lib/*${SPARK_EXTRA_CLASSPATH:+:${SPARK_EXTRA_CLASSPATH}}" \
            org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
            --driver-url "${SPARK_DRIVER_URL}" \
            --executor-id "${SPARK_EXECUTOR_ID}" \
            --cores "${SPARK_EXECUTOR_CORES}" \
            --app-id "${SPARK_APPLICATION_ID}" \
            --hostname "${SPARK_EXECUTOR_POD_IP}" \
            --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID}" \
            --podName "${SPARK_EXECUTOR_POD_NAME}"
        ;;
    *)
        exec "$@"
        ;;
esac
