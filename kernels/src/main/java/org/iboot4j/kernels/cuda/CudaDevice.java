package org.iboot4j.kernels.cuda;

import java.util.Locale;

/**
 * What {@code iboot info} and the self-test report about a device.
 *
 * @param driverVersion as cuDriverGetVersion: 1000 * major + 10 * minor (13000 = 13.0)
 */
public record CudaDevice(int ordinal, String name, int computeMajor, int computeMinor, long totalMemory,
        int multiprocessors, int driverVersion) {

    /** "sm_90". */
    public String arch() {
        return "sm_" + computeMajor + computeMinor;
    }

    /** "13.0" from 13000. */
    public static String driverVersionString(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s, %d SMs, %.1f GiB), driver API %s", name, arch(),
                multiprocessors, totalMemory / (1024.0 * 1024 * 1024), driverVersionString(driverVersion));
    }
}
