package dev.sluice.pipeline;

/**
 * The ranges a car_info event must fall in to be accepted; outside them it goes to the dead
 * letters as {@code OUT_OF_RANGE}. {@code dataId} is always required: it is the event's key.
 *
 * @param minLatitude the southernmost accepted latitude
 * @param maxLatitude the northernmost accepted latitude
 * @param minLongitude the westernmost accepted longitude
 * @param maxLongitude the easternmost accepted longitude
 * @param minSpeed the lowest accepted speed
 * @param maxSpeed the highest accepted speed, or {@code null} for no limit
 */
public record CarInfoLimits(
        double minLatitude, double maxLatitude, double minLongitude, double maxLongitude, double minSpeed, Double maxSpeed) {

    /** Anywhere on Earth, any speed from 0. */
    public static final CarInfoLimits DEFAULT = new CarInfoLimits(-90, 90, -180, 180, 0, null);

    public CarInfoLimits {
        if (minLatitude > maxLatitude || minLongitude > maxLongitude || (maxSpeed != null && minSpeed > maxSpeed)) {
            throw new IllegalArgumentException("each minimum must not be above its maximum");
        }
    }
}
