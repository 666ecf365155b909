package dev.sluice.local;

import dev.sluice.support.CarInfoEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes car_info telemetry of vehicles driving around Seoul: each vehicle keeps a heading and
 * speed that drift, and reports its position at a steady overall rate. A small share of the
 * records are malformed on purpose, so the dead letters have something to show.
 */
public final class CarInfoSimulator implements AutoCloseable {

    private static final double MIN_LAT = 37.45;
    private static final double MAX_LAT = 37.70;
    private static final double MIN_LON = 126.80;
    private static final double MAX_LON = 127.18;
    private static final String[] VEHICLE_TYPES = {"11", "12", "21", "31", "41"};
    private static final long TICK_MILLIS = 100;

    private final String topic;
    private final int eventsPerSecond;
    private final double malformedRatio;
    private final KafkaProducer<String, byte[]> producer;
    private final List<Vehicle> vehicles = new ArrayList<>();
    private final Random random = new Random(42);
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "car-info-simulator");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicLong sent = new AtomicLong();
    private double owed;

    public CarInfoSimulator(
            String bootstrapServers, String topic, int vehicles, int eventsPerSecond, double malformedRatio) {
        this.topic = topic;
        this.eventsPerSecond = eventsPerSecond;
        this.malformedRatio = malformedRatio;
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.LINGER_MS_CONFIG,
                        20,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new ByteArraySerializer());
        for (int i = 0; i < vehicles; i++) {
            this.vehicles.add(new Vehicle(
                    String.format("T%05d", i + 1),
                    VEHICLE_TYPES[random.nextInt(VEHICLE_TYPES.length)],
                    MIN_LAT + random.nextDouble() * (MAX_LAT - MIN_LAT),
                    MIN_LON + random.nextDouble() * (MAX_LON - MIN_LON),
                    random.nextDouble() * 360,
                    20 + random.nextDouble() * 40));
        }
    }

    public void start() {
        ticker.scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    public long sent() {
        return sent.get();
    }

    private void tick() {
        owed += eventsPerSecond * TICK_MILLIS / 1000.0;
        int due = (int) owed;
        owed -= due;
        Instant now = Instant.now();
        for (int i = 0; i < due; i++) {
            Vehicle vehicle = vehicles.get(random.nextInt(vehicles.size()));
            vehicle.drive(random, (double) vehicles.size() / Math.max(1, eventsPerSecond));
            String json = random.nextDouble() < malformedRatio
                    ? malformed(vehicle)
                    : vehicle.report(now).toJson();
            producer.send(new ProducerRecord<>(topic, vehicle.trmnId, json.getBytes(StandardCharsets.UTF_8)));
            sent.incrementAndGet();
        }
    }

    private String malformed(Vehicle vehicle) {
        return switch (random.nextInt(3)) {
            case 0 -> "{\"dataId\": \"" + UUID.randomUUID() + "\", \"trmnId\": \"" + vehicle.trmnId; // cut short
            case 1 -> "{\"dataId\": \"" + UUID.randomUUID() + "\", \"vhcleSped\": \"fast\"}";
            default -> "{\"trmnId\": \"" + vehicle.trmnId + "\", \"vhcleSped\": 12.5}";
        };
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        producer.close();
    }

    private static final class Vehicle {
        final String trmnId;
        final String type;
        double lat;
        double lon;
        double heading;
        double speedKmh;

        Vehicle(String trmnId, String type, double lat, double lon, double heading, double speedKmh) {
            this.trmnId = trmnId;
            this.type = type;
            this.lat = lat;
            this.lon = lon;
            this.heading = heading;
            this.speedKmh = speedKmh;
        }

        void drive(Random random, double seconds) {
            heading = (heading + random.nextGaussian() * 15 + 360) % 360;
            speedKmh = Math.max(0, Math.min(90, speedKmh + random.nextGaussian() * 5));
            double km = speedKmh * seconds / 3600;
            lat += km / 111.0 * Math.cos(Math.toRadians(heading));
            lon += km / (111.0 * Math.cos(Math.toRadians(lat))) * Math.sin(Math.toRadians(heading));
            // Turn back at the edge of the city.
            if (lat < MIN_LAT || lat > MAX_LAT || lon < MIN_LON || lon > MAX_LON) {
                heading = (heading + 180) % 360;
                lat = Math.max(MIN_LAT, Math.min(MAX_LAT, lat));
                lon = Math.max(MIN_LON, Math.min(MAX_LON, lon));
            }
        }

        CarInfoEvent report(Instant at) {
            return CarInfoEvent.of(
                    UUID.randomUUID().toString(),
                    trmnId,
                    at,
                    round(lon),
                    round(lat),
                    Math.round(speedKmh * 10) / 10.0,
                    Math.round(heading),
                    type);
        }

        private static double round(double degrees) {
            return Math.round(degrees * 1_000_000) / 1_000_000.0;
        }
    }
}
