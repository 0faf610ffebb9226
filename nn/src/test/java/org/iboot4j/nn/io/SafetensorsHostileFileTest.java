package org.iboot4j.nn.io;

import static org.iboot4j.nn.io.SafetensorsTestFiles.concat;
import static org.iboot4j.nn.io.SafetensorsTestFiles.file;
import static org.iboot4j.nn.io.SafetensorsTestFiles.le64;
import static org.iboot4j.nn.io.SafetensorsTestFiles.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files built to break the reader: each must be refused with a {@link SafetensorsFormatException}
 * that names the file and the problem — never an out-of-bounds read, a huge allocation or a
 * stack overflow. One test per rule of {@link SafetensorsHeader}.
 */
class SafetensorsHostileFileTest {

    @TempDir
    Path dir;

    /** A one-tensor header; {@code entry} is the JSON of the entry. */
    private static String one(String entry) {
        return "{\"t\":" + entry + "}";
    }

    // ---- the length prefix ------------------------------------------------------------------

    @Test
    void emptyFile() {
        rejected(dir, "empty.safetensors", new byte[0], "the file has 0 bytes, fewer than the 8");
    }

    @Test
    void fileShorterThanTheLengthPrefix() {
        rejected(dir, "short.safetensors", new byte[] {2, 0, 0, 0, 0}, "the file has 5 bytes, fewer than the 8");
    }

    @Test
    void headerLengthOver100MB() {
        rejected(dir, "big.safetensors", concat(le64(100_000_001L), "{}".getBytes(StandardCharsets.US_ASCII)),
                "header length 100000001 is over the limit of 100000000 bytes");
    }

    @Test
    void headerLengthAboveTwoToThe63() {
        rejected(dir, "huge.safetensors", concat(le64(-1L), "{}".getBytes(StandardCharsets.US_ASCII)),
                "header length 18446744073709551615 is over the limit");
    }

    @Test
    void headerLengthPastTheEndOfTheFile() {
        rejected(dir, "past.safetensors", concat(le64(100), "{}      ".getBytes(StandardCharsets.US_ASCII)),
                "header length 100 runs past the end of the file (8 bytes follow the length)");
    }

    @Test
    void emptyHeader() {
        rejected(dir, "zero.safetensors", le64(0), "the header is empty");
    }

    // ---- text and JSON ------------------------------------------------------------------------

    @Test
    void headerNotStartingWithABrace() {
        rejected(dir, "array.safetensors", file("[]", 0), "must begin with '{' but its first byte is 0x5b");
        rejected(dir, "space.safetensors", file(" {}", 0), "must begin with '{' but its first byte is 0x20");
    }

    @Test
    void invalidUtf8() {
        byte[] header = concat("{\"a".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xFF},
                "\":{}}".getBytes(StandardCharsets.US_ASCII));
        rejected(dir, "utf8.safetensors", file(header, new byte[0]),
                "the header is not valid UTF-8: malformed byte sequence at header byte 3");
    }

    @Test
    void overlongUtf8() {
        // 0xC0 0xAF is an overlong encoding of '/', forbidden in UTF-8
        byte[] header = concat("{\"".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xC0, (byte) 0xAF},
                "\":{}}".getBytes(StandardCharsets.US_ASCII));
        rejected(dir, "overlong.safetensors", file(header, new byte[0]), "not valid UTF-8", "header byte 2");
    }

    @Test
    void utf8EncodedSurrogate() {
        byte[] header = concat("{\"".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                "\":{}}".getBytes(StandardCharsets.US_ASCII));
        rejected(dir, "surrogate.safetensors", file(header, new byte[0]), "not valid UTF-8");
    }

    @Test
    void invalidJson() {
        rejected(dir, "json.safetensors", file("{\"t\": }", 0), "the header is not valid JSON: unexpected character '}' at character 6");
    }

    @Test
    void truncatedJson() {
        rejected(dir, "truncated.safetensors", file("{\"t\":{\"dtype\":\"F32\"", 0), "not valid JSON", "expected '}' but the input ended");
    }

    @Test
    void trailingGarbageAfterTheJson() {
        rejected(dir, "trailing.safetensors", file("{} x", 0), "not valid JSON: unexpected characters after the JSON value at character 3");
    }

    @Test
    void rawControlCharacterInAString() {
        rejected(dir, "control.safetensors", file("{\"a\nb\":{}}", 0), "unescaped control character U+000A in a string");
    }

    @Test
    void unpairedSurrogateEscape() {
        rejected(dir, "lone.safetensors", file("{\"__metadata__\":{\"k\":\"\\ud800\"}}", 0), "unpaired surrogate \\ud800");
    }

    @Test
    void deeplyNestedJson() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        rejected(dir, "deep.safetensors", file("{\"__metadata__\":" + deep + "}", 0), "nested more than 64 deep");
    }

    @Test
    void absurdlyLongInteger() {
        rejected(dir, "digits.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[" + "9".repeat(1000)
                + "],\"data_offsets\":[0,0]}"), 0), "integer with more than 400 digits");
    }

    @Test
    void duplicateTensorNames() {
        rejected(dir, "dup.safetensors", file("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "duplicate key \"t\"");
    }

    @Test
    void duplicateKeysInsideAnEntry() {
        rejected(dir, "dupfield.safetensors", file(one("{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1]}"), 1),
                "duplicate key \"dtype\"");
    }

    @Test
    void duplicateMetadataKeys() {
        rejected(dir, "dupmeta.safetensors", file("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0), "duplicate key \"k\"");
    }

    // ---- tensor entries -------------------------------------------------------------------------

    @Test
    void entryNotAnObject() {
        rejected(dir, "entry.safetensors", file(one("[1]"), 0), "tensor \"t\": its entry must be a JSON object, but it is an array");
    }

    @Test
    void missingFields() {
        rejected(dir, "nodtype.safetensors", file(one("{\"shape\":[1],\"data_offsets\":[0,1]}"), 1), "tensor \"t\": its entry has no \"dtype\"");
        rejected(dir, "noshape.safetensors", file(one("{\"dtype\":\"U8\",\"data_offsets\":[0,1]}"), 1), "its entry has no \"shape\"");
        rejected(dir, "nooffsets.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1]}"), 1), "its entry has no \"data_offsets\"");
    }

    @Test
    void unknownDType() {
        rejected(dir, "f128.safetensors", file(one("{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}"), 16),
                "tensor \"t\": unknown dtype \"F128\" (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)");
    }

    @Test
    void dtypeNamesAreCaseSensitive() {
        rejected(dir, "lower.safetensors", file(one("{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}"), 4), "unknown dtype \"f32\"");
    }

    @Test
    void dtypeNotAString() {
        rejected(dir, "dtypenum.safetensors", file(one("{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}"), 4),
                "\"dtype\" must be a string, but it is a number");
    }

    @Test
    void shapeNotAnArray() {
        rejected(dir, "shapeobj.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":3,\"data_offsets\":[0,3]}"), 3),
                "\"shape\" must be an array, but it is a number");
    }

    @Test
    void negativeShapeEntry() {
        rejected(dir, "negshape.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[2,-1],\"data_offsets\":[0,0]}"), 0),
                "tensor \"t\": shape entry 1 is -1, which is negative");
    }

    @Test
    void nonIntegerShapeEntries() {
        rejected(dir, "fraction.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[2.0],\"data_offsets\":[0,2]}"), 2),
                "shape entry 0 must be a non-negative integer, but it is a number 2.0");
        rejected(dir, "exponent.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[2e0],\"data_offsets\":[0,2]}"), 2),
                "shape entry 0 must be a non-negative integer, but it is a number 2.0");
        rejected(dir, "string.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[\"2\"],\"data_offsets\":[0,2]}"), 2),
                "shape entry 0 must be a non-negative integer, but it is a string \"2\"");
        rejected(dir, "null.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[null],\"data_offsets\":[0,2]}"), 2),
                "shape entry 0 must be a non-negative integer, but it is null");
    }

    @Test
    void overflowingShapeEntry() {
        rejected(dir, "bigdim.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,0]}"), 0),
                "shape entry 0 is 18446744073709551616, which overflows a signed 64-bit integer");
        rejected(dir, "u64dim.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[9223372036854775808],\"data_offsets\":[0,0]}"), 0),
                "shape entry 0 is 9223372036854775808, which overflows");
    }

    @Test
    void elementCountOverflow() {
        rejected(dir, "numel.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}"), 0),
                "shape [4294967296, 4294967296] has more than 2^63-1 elements");
    }

    @Test
    void byteCountOverflow() {
        // 2^61 F64 elements are 2^64 bytes: the element count fits a long, the byte count does not
        rejected(dir, "bytes.safetensors", file(one("{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}"), 8),
                "F64 shape [2305843009213693952] needs more than 2^63-1 bytes");
    }

    @Test
    void badDataOffsets() {
        rejected(dir, "offobj.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":{}}"), 1),
                "\"data_offsets\" must be an array, but it is an object");
        rejected(dir, "off1.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1]}"), 1),
                "\"data_offsets\" must be [begin, end], but it is [1]");
        rejected(dir, "off3.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}"), 1),
                "\"data_offsets\" must be [begin, end], but it is [0, 1, 2]");
        rejected(dir, "offneg.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}"), 1),
                "data_offsets begin is -1, which is negative");
        rejected(dir, "offfrac.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.5]}"), 1),
                "data_offsets end must be a non-negative integer, but it is a number 1.5");
        rejected(dir, "offbig.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}"), 1),
                "data_offsets end is 18446744073709551615, which overflows a signed 64-bit integer");
    }

    @Test
    void beginAfterEnd() {
        rejected(dir, "reversed.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}"), 8),
                "tensor \"t\": data_offsets [8, 4] have begin after end");
    }

    @Test
    void byteLengthDisagreesWithShape() {
        rejected(dir, "length.safetensors", file(one("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}"), 4),
                "tensor \"t\": dtype F32 and shape [2] make 8 bytes, but data_offsets [0, 4] hold 4");
    }

    @Test
    void offsetsPastTheEndOfTheFile() {
        rejected(dir, "pastdata.safetensors", file(one("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}"), 8),
                "tensor \"t\": data_offsets [0, 16] run past the end of the file: the data section has 8 bytes");
    }

    @Test
    void hugeOffsetsPastTheEndOfTheFile() {
        long begin = 1L << 62;
        rejected(dir, "farpast.safetensors", file(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + begin + ","
                + (begin + 4) + "]}"), 4), "run past the end of the file: the data section has 4 bytes");
    }

    @Test
    void overlappingTensors() {
        rejected(dir, "overlap.safetensors", file("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}", 12),
                "tensor \"b\" at bytes [4, 12) overlaps tensor \"a\" at bytes [0, 8) of the data section");
    }

    @Test
    void twoTensorsSharingTheSameBytes() {
        rejected(dir, "alias.safetensors", file("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                "tensor \"b\" at bytes [0, 8) overlaps tensor \"a\" at bytes [0, 8)");
    }

    @Test
    void holeBetweenTensors() {
        rejected(dir, "hole.safetensors", file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}", 12),
                "bytes [4, 8) of the data section belong to no tensor (after \"a\", before \"b\")",
                "the format requires the data to be fully covered");
    }

    @Test
    void holeBeforeTheFirstTensor() {
        rejected(dir, "lead.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}"), 8),
                "bytes [0, 4) of the data section belong to no tensor (before \"t\")");
    }

    @Test
    void bytesAfterTheLastTensor() {
        rejected(dir, "tail.safetensors", file(one("{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}"), 8),
                "the last 4 bytes of the data section, [4, 8), belong to no tensor (after \"t\")");
    }

    @Test
    void dataButNoTensors() {
        rejected(dir, "notensors.safetensors", file("{}", 3), "the last 3 bytes of the data section, [0, 3), belong to no tensor;");
    }

    // ---- metadata -----------------------------------------------------------------------------

    @Test
    void metadataNotAnObject() {
        rejected(dir, "metaarr.safetensors", file("{\"__metadata__\":[\"a\",\"b\"]}", 0),
                "__metadata__ must be a JSON object mapping strings to strings, but it is an array");
        rejected(dir, "metastr.safetensors", file("{\"__metadata__\":\"x\"}", 0), "but it is a string");
        rejected(dir, "metanull.safetensors", file("{\"__metadata__\":null}", 0), "but it is null");
    }

    @Test
    void metadataValueNotAString() {
        rejected(dir, "metanum.safetensors", file("{\"__metadata__\":{\"epoch\":3}}", 0),
                "__metadata__ must map strings to strings, but \"epoch\" maps to a number 3");
        rejected(dir, "metanest.safetensors", file("{\"__metadata__\":{\"cfg\":{\"lr\":\"0.1\"}}}", 0),
                "\"cfg\" maps to an object");
    }

    // ---- messages stay short -------------------------------------------------------------------

    @Test
    void hugeStringsAreCutShortInMessages() {
        String longName = "n".repeat(1_000_000);
        String message = rejected(dir, "longname.safetensors",
                file("{\"" + longName + "\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}", 0),
                "unknown dtype \"X\"", "... (1000000 characters)");
        assertEquals(true, message.length() < 500, message);
    }
}
