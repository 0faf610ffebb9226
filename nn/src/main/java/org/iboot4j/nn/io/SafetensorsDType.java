package org.iboot4j.nn.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types of the safetensors format that iboot4j reads and writes, by their header
 * names. All are little-endian in the file; {@code BOOL} is one byte, zero for false.
 *
 * <p>The format also defines 8-bit floats ({@code F8_E4M3}, {@code F8_E5M2}, ...) and complex
 * types; files holding them are rejected as having an unknown dtype.
 */
public enum SafetensorsDType {
    F64(8, Kind.FLOAT),
    F32(4, Kind.FLOAT),
    F16(2, Kind.FLOAT),
    BF16(2, Kind.FLOAT),
    I64(8, Kind.SIGNED),
    I32(4, Kind.SIGNED),
    I16(2, Kind.SIGNED),
    I8(1, Kind.SIGNED),
    U64(8, Kind.UNSIGNED),
    U32(4, Kind.UNSIGNED),
    U16(2, Kind.UNSIGNED),
    U8(1, Kind.UNSIGNED),
    BOOL(1, Kind.BOOL);

    private enum Kind { FLOAT, SIGNED, UNSIGNED, BOOL }

    private final int byteSize;
    private final Kind kind;

    SafetensorsDType(int byteSize, Kind kind) {
        this.byteSize = byteSize;
        this.kind = kind;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** F64, F32, F16 or BF16. */
    public boolean isFloatingPoint() {
        return kind == Kind.FLOAT;
    }

    /** A signed or unsigned integer type (not BOOL). */
    public boolean isInteger() {
        return kind == Kind.SIGNED || kind == Kind.UNSIGNED;
    }

    /** U8, U16, U32 or U64. */
    public boolean isUnsigned() {
        return kind == Kind.UNSIGNED;
    }

    /** The dtype called {@code name} in a header (case-sensitive), or null when there is none. */
    static SafetensorsDType byName(String name) {
        for (SafetensorsDType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }

    /** "F64, F32, ..." for error messages. */
    static String supportedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
