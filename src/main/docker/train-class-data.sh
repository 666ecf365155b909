#!/usr/bin/env bash
# Writes the class-data-sharing (CDS) archive of an extracted Sluice (APP_HOME/sluice*.jar beside
# APP_HOME/lib/): the service starts up to its refreshed context, where it stops on its own (no
# database, broker or pipeline is needed), and the JVM records every class it loaded. The driver
# started with -XX:SharedArchiveFile=APP_HOME/sluice.jsa and the same jar path maps those classes
# instead of reading and verifying them again, and starts seconds sooner (see the README).
# Usage: train-class-data.sh [APP_HOME]   (default: $APP_HOME, else /app)
set -euo pipefail

APP_HOME="${1:-${APP_HOME:-/app}}"
JAVA="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
APP_JAR="$(ls "${APP_HOME}"/sluice*.jar | head -n 1)"
ARCHIVE="${APP_HOME}/sluice.jsa"
LOG="${APP_HOME}/class-data-training.log"

# Janino's jars are signed (with a throw-away key), and the archive leaves out a signed jar's classes.
"${JAVA}" -cp "${APP_JAR}" dev.sluice.launch.UnsignedJars "${APP_JAR}"
rm -f "${ARCHIVE}"
if ! "${JAVA}" -XX:ArchiveClassesAtExit="${ARCHIVE}" -Dspring.context.exit=onRefresh \
        -jar "${APP_JAR}" \
        --spring.flyway.enabled=false \
        --sluice.spark.config.spark.driver.host=127.0.0.1 \
        --sluice.spark.config.spark.driver.bindAddress=127.0.0.1 > "${LOG}" 2>&1 \
        || [ ! -s "${ARCHIVE}" ]; then
    echo "The class-data training run failed; its log:" >&2
    tail -n 40 "${LOG}" >&2
    exit 1
fi
# What the training could not do leaves the archive smaller, not the image unbuilt: said, not hidden.
grep -h "Class-data training:" "${LOG}" >&2 || true
rm -f "${LOG}"
# The classes of multi-release jars the service loads first thing, so that a flight recording or an
# agent started while it runs never loads one from the archive (which crashes Java 17).
"${JAVA}" -cp "${APP_JAR}" dev.sluice.launch.MultiReleaseClasses "${APP_JAR}"
echo "Wrote ${ARCHIVE} ($(du -m "${ARCHIVE}" | cut -f1) MiB)"
