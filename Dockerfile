# syntax=docker/dockerfile:1.7
# Sluice: one image for the driver (the Spring Boot service) and for the Spark executors it starts
# on Kubernetes. Build: docker build -t sluice:0.1.0 .

ARG JAVA_VERSION=17

# --- build: the Maven wrapper, with ~/.m2 cached between builds ------------------------------------
FROM eclipse-temurin:${JAVA_VERSION}-jdk-jammy AS build
WORKDIR /build
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY src/main/ src/main/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw --batch-mode --no-transfer-progress -Dmaven.test.skip=true package \
 && cp target/sluice-*.jar sluice.jar \
 && java -Djarmode=tools -jar sluice.jar extract --layers --destination extracted

# --- runtime: a JRE, the application on a plain classpath -----------------------------------------
FROM eclipse-temurin:${JAVA_VERSION}-jre-jammy
ARG UID=10001
# A fixed, non-root user; Spark and Hadoop need the UID to have a name.
RUN groupadd --system --gid ${UID} sluice \
 && useradd --system --uid ${UID} --gid ${UID} --home-dir /app --shell /usr/sbin/nologin sluice \
 && mkdir -p /app /tmp/spark-local \
 && chown ${UID}:${UID} /tmp/spark-local
WORKDIR /app
# Layers from the least to the most often changed: a code change rebuilds only the last one.
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
COPY --chmod=0755 src/main/docker/entrypoint.sh src/main/docker/train-class-data.sh /app/
# The driver's class-data archive (/app/sluice.jsa): the classes the service loads to start, mapped
# at each start instead of read again. Written by this image's own JVM, for these very jar paths.
RUN /app/train-class-data.sh /app

# /app/sluice.jar is a plain jar whose manifest names lib/*.jar: the driver runs it with java -jar,
# executors put /app/sluice.jar:/app/lib/* on their classpath.
ENV APP_HOME=/app \
    SPARK_LOCAL_DIRS=/tmp/spark-local \
    SPARK_USER=sluice \
    HADOOP_USER_NAME=sluice \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
USER ${UID}:${UID}
# 8080: REST API and Actuator; 7078: driver RPC; 7079: block manager (fixed for the headless Service).
EXPOSE 8080 7078 7079
# No HEALTHCHECK: Kubernetes probes /actuator/health/{liveness,readiness}.
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["driver"]
