import Foundation

/// TFRecord framing as TensorFlow / TensorBoard write event files: each record is
/// `uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data`.
///
/// The mask is TensorFlow's `((crc >> 15) | (crc << 17)) + 0xa282ead8` (tensorflow/core/lib/hash/crc32c.h).
public enum TFRecord {
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as `crc32c::Value`.
    public static func crc32c<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TensorFlow's masked CRC (`crc32c::Mask`).
    public static func maskedCRC<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let c = crc32c(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }

    /// One framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var len = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { len[i] = UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64(i))) }
        return len + le32(maskedCRC(len)) + data + le32(maskedCRC(data))
    }

    /// The payloads of the complete, checksum-valid records at the start of `bytes`; reading stops at the first
    /// truncated or corrupt record (the tail a killed writer may leave). `validBytes` is where that happened.
    public static func records(_ bytes: [UInt8]) -> (payloads: [[UInt8]], validBytes: Int) {
        var out: [[UInt8]] = [], i = 0
        while i + 12 <= bytes.count {
            let lenBytes = Array(bytes[i..<(i + 8)])
            guard readLE32(bytes, i + 8) == maskedCRC(lenBytes) else { break }
            var n: UInt64 = 0
            for k in 0..<8 { n |= UInt64(lenBytes[k]) << (8 * UInt64(k)) }
            guard n <= UInt64(bytes.count - i - 16) else { break }
            let start = i + 12, end = start + Int(n)
            let payload = Array(bytes[start..<end])
            guard readLE32(bytes, end) == maskedCRC(payload) else { break }
            out.append(payload)
            i = end + 4
        }
        return (out, i)
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func readLE32(_ b: [UInt8], _ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) } }

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
}
