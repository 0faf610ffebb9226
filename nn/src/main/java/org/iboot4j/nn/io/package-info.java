/**
 * Safetensors I/O: {@link org.iboot4j.nn.io.SafetensorsReader} (memory-mapped with the FFM API,
 * validating every header it opens against hostile input) and
 * {@link org.iboot4j.nn.io.SafetensorsWriter} (sorted, 8-byte-aligned, written atomically).
 * {@link org.iboot4j.nn.io.SafetensorsHeader} describes the format and the validation rules.
 */
package org.iboot4j.nn.io;
