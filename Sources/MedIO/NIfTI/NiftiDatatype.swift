/// The NIfTI voxel datatypes SemiSeg reads and writes (NIfTI `datatype` codes).
public enum NiftiDatatype: Int32, CaseIterable, Sendable {
    /// `DT_UINT8` (2): label maps are written as this.
    case uint8 = 2
    /// `DT_INT16` (4): typical raw CT (HU, possibly with scl_slope/scl_inter).
    case int16 = 4
    /// `DT_INT32` (8).
    case int32 = 8
    /// `DT_FLOAT32` (16).
    case float32 = 16
    /// `DT_FLOAT64` (64).
    case float64 = 64
    /// `DT_INT8` (256).
    case int8 = 256
    /// `DT_UINT16` (512).
    case uint16 = 512
    /// `DT_UINT32` (768).
    case uint32 = 768
    /// `DT_INT64` (1024).
    case int64 = 1024
    /// `DT_UINT64` (1280).
    case uint64 = 1280

    /// Bytes per voxel.
    public var bytes: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// The numpy-style name (`"uint8"`, `"float32"`, ...), as `semiseg inspect` prints it.
    public var name: String { "\(self)" }

    /// The datatype with numpy-style `name`, if supported.
    public init?(name: String) {
        guard let t = NiftiDatatype.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }

    /// Inclusive value range for integer types (nil for floating point), used to clamp on write.
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: return 0...255
        case .int8: return -128...127
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return -2147483648...2147483647
        case .uint32: return 0...4294967295
        case .int64: return -9.2e18...9.2e18
        case .uint64: return 0...1.8e19
        case .float32, .float64: return nil
        }
    }
}
