package dev.sluice.pipeline;

import java.io.Serializable;

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
        double minLatitude,
        double maxLatitude,
        double minLongitude,
        double maxLongitude,
        double minSpeed,
        Double maxSpeed)
        implements Serializable {

    /** Anywhere on Earth, any speed from 0. */
    public static final CarInfoLimits DEFAULT = new CarInfoLimits(-90, 90, -180, 180, 0, null);

    public CarInfoLimits {
        if (minLatitude > maxLatitude || minLongitude > maxLongitude || (maxSpeed != null && minSpeed > maxSpeed)) {
            throw new IllegalArgumentException("each minimum must not be above its maximum");
        }
    }

    /** The highest accepted speed, or the largest double for no limit. */
    public double speedCeiling() {
        return maxSpeed == null ? Double.MAX_VALUE : maxSpeed;
    }

    /** What these limits accept, as an {@code OUT_OF_RANGE} dead letter's detail ends. */
    public String describe() {
        return "(accepted: latitude in [" + minLatitude + ", " + maxLatitude + "], longitude in [" + minLongitude + ", "
                + maxLongitude + "], speed >= " + minSpeed + (maxSpeed == null ? "" : " and <= " + maxSpeed) + ")";
    }
}
