import Foundation

/// Hand-encoded protobuf messages of TensorBoard's event files (tensorflow/core/util/event.proto,
/// tensorflow/core/framework/summary.proto). Only the fields SemiSeg writes:
///
/// - `Event`: `wall_time` = 1 (double, seconds since 1970), `step` = 2 (int64), `file_version` = 3 (string),
///   `summary` = 5 (Summary).
/// - `Summary`: `value` = 1 (repeated Value).
/// - `Summary.Value`: `tag` = 1 (string), `simple_value` = 2 (float), `image` = 4 (Image).
/// - `Summary.Image`: `height` = 1, `width` = 2, `colorspace` = 3 (int32; 1 grey, 3 RGB, 4 RGBA),
///   `encoded_image_string` = 4 (bytes: a PNG).
public enum EventProto {
    /// One summary value: a scalar or a PNG image.
    public enum Value: Equatable, Sendable {
        case scalar(tag: String, value: Float)
        case image(tag: String, width: Int, height: Int, channels: Int, png: [UInt8])
    }

    /// The first event of every file: `file_version` "brain.Event:2".
    public static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var m = ProtoWriter()
        m.double(1, wallTime)
        m.bytes(3, Array("brain.Event:2".utf8))
        return m.out
    }

    /// An event carrying `values` at `step`.
    public static func summaryEvent(wallTime: Double, step: Int64, values: [Value]) -> [UInt8] {
        var summary = ProtoWriter()
        for v in values {
            var value = ProtoWriter()
            switch v {
            case let .scalar(tag, x):
                value.bytes(1, Array(tag.utf8))
                value.float(2, x)
            case let .image(tag, w, h, c, png):
                var img = ProtoWriter()
                img.varint(1, UInt64(h)); img.varint(2, UInt64(w)); img.varint(3, UInt64(c)); img.bytes(4, png)
                value.bytes(1, Array(tag.utf8))
                value.bytes(4, img.out)
            }
            summary.bytes(1, value.out)
        }
        var e = ProtoWriter()
        e.double(1, wallTime)
        e.varint(2, UInt64(bitPattern: step))
        e.bytes(5, summary.out)
        return e.out
    }

    /// The `step` field of an encoded `Event` (0 when absent, as protobuf's default); nil when the bytes are not a
    /// well-formed message.
    public static func step(ofEvent bytes: [UInt8]) -> Int64? {
        var i = 0, step: Int64 = 0
        func varint() -> UInt64? {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count, shift < 64 {
                let b = bytes[i]; i += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
            return nil
        }
        while i < bytes.count {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0: guard let v = varint() else { return nil }; if key >> 3 == 2 { step = Int64(bitPattern: v) }
            case 1: i += 8
            case 5: i += 4
            case 2: guard let n = varint(), n <= UInt64(bytes.count - i) else { return nil }; i += Int(n)
            default: return nil
            }
            if i > bytes.count { return nil }
        }
        return step
    }
}

/// Minimal protobuf wire-format writer (varint, 64-bit, 32-bit and length-delimited fields).
struct ProtoWriter {
    var out: [UInt8] = []

    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }
    mutating func key(_ field: Int, _ wire: UInt64) { rawVarint(UInt64(field) << 3 | wire) }
    mutating func varint(_ field: Int, _ v: UInt64) { key(field, 0); rawVarint(v) }
    mutating func double(_ field: Int, _ v: Double) {
        key(field, 1); let b = v.bitPattern
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))) }
    }
    mutating func float(_ field: Int, _ v: Float) {
        key(field, 5); let b = v.bitPattern
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: b >> (8 * UInt32(i)))) }
    }
    mutating func bytes(_ field: Int, _ b: [UInt8]) { key(field, 2); rawVarint(UInt64(b.count)); out += b }
}
