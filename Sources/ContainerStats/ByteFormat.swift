import Foundation

/// Byte sizes written as `docker stats` writes them (docker/go-units), so `stackpilot stats` reads
/// the same as `docker stats` and every other place that shows a size (doctor) reads alike.
///
/// - `binary`: powers of 1024 with 4 significant digits, no space: `100.8MiB`, `23.54GiB`, `512MiB`,
///   `0B` (go-units' `BytesSize`, which docker stats uses for memory).
/// - `decimal`: powers of 1000 with 3 significant digits: `1.04kB`, `586B`, `12.3MB`
///   (go-units' `HumanSizeWithPrecision(_, 3)`, which docker stats uses for network and block I/O).
///
/// Both are `%g`: trailing zeros dropped, and a value that rounds up to the next power stays in
/// its unit in exponent form (`999.7 kB` with 3 digits is `1e+03kB`), exactly as go-units does.
public enum ByteFormat {
    public static func binary(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], digits: 4)
    }

    public static func decimal(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB"], digits: 3)
    }

    private static func scaled(_ value: Double, base: Double, units: [String], digits: Int) -> String {
        var value = value
        var index = 0
        while value >= base, index < units.count - 1 {
            value /= base
            index += 1
        }
        return String(format: "%.\(digits)g", value) + units[index]
    }
}
