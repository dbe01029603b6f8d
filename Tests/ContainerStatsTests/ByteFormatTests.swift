import ContainerStats
import DockerEngine
import Testing

/// Expected strings are what docker (docker/go-units) prints for the same sizes: go-units' own
/// examples (`BytesSize(3.42 * GiB)` is `3.42GiB`, `HumanSize(1048576)` with 3 digits is `1.05MB`) and
/// what `docker stats` printed on this machine for the recorded fixture (`100.8MiB / 23.54GiB`, `586B`).
@Suite("ByteFormat: sizes as docker stats prints them")
struct ByteFormatTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var bytes: UInt64
        var text: String
        var testDescription: String { "\(bytes) → \(text)" }
    }

    static let kiB: UInt64 = 1024, miB = kiB << 10, giB = miB << 10, tiB = giB << 10, piB = tiB << 10

    @Test(
        "binary: powers of 1024, 4 significant digits, trailing zeros dropped, no space",
        arguments: [
            Case(bytes: 0, text: "0B"),
            Case(bytes: 1, text: "1B"),
            Case(bytes: 1023, text: "1023B"),
            Case(bytes: kiB, text: "1KiB"),
            Case(bytes: 1536, text: "1.5KiB"),
            Case(bytes: 999 * kiB, text: "999KiB"),
            Case(bytes: 1000 * kiB, text: "1000KiB"),
            Case(bytes: miB, text: "1MiB"),
            Case(bytes: 2 * miB, text: "2MiB"),
            Case(bytes: 512 * miB, text: "512MiB"),
            Case(bytes: UInt64(3.42 * Double(giB)), text: "3.42GiB"),
            Case(bytes: UInt64(5.372 * Double(tiB)), text: "5.372TiB"),
            Case(bytes: UInt64(2.22 * Double(piB)), text: "2.22PiB"),
            // Rounds up to 1024 in its unit rather than moving to the next one, as go-units does.
            Case(bytes: miB - 1, text: "1024KiB"),
            Case(bytes: UInt64.max, text: "16EiB"),
        ])
    func binary(_ example: Case) {
        #expect(ByteFormat.binary(example.bytes) == example.text)
    }

    @Test(
        "decimal: powers of 1000, 3 significant digits, kB with a small k",
        arguments: [
            Case(bytes: 0, text: "0B"),
            Case(bytes: 586, text: "586B"),
            Case(bytes: 999, text: "999B"),
            Case(bytes: 1000, text: "1kB"),
            Case(bytes: 1024, text: "1.02kB"),
            Case(bytes: 1040, text: "1.04kB"),
            Case(bytes: 12_345, text: "12.3kB"),
            Case(bytes: 1_000_000, text: "1MB"),
            Case(bytes: 1_048_576, text: "1.05MB"),
            Case(bytes: 2_000_000, text: "2MB"),
            Case(bytes: 3_420_000_000, text: "3.42GB"),
            // 999.7 kB has no 3-digit form below 1000: %g switches to exponent form, as go-units prints it.
            Case(bytes: 999_700, text: "1e+03kB"),
            Case(bytes: UInt64.max, text: "18.4EB"),
        ])
    func decimal(_ example: Case) {
        #expect(ByteFormat.decimal(example.bytes) == example.text)
    }

    @Test("the recorded cgroup v1 payload formats exactly as docker stats printed it")
    func recordedPayload() throws {
        let stats = try Fixture.load("v1-engine-20.10-two-sample")
        let used = StatsMath.memoryUsedNoCache(stats.memoryStats)
        // docker stats: "100.8MiB / 23.54GiB", network "586B / 0B".
        #expect("\(ByteFormat.binary(used)) / \(ByteFormat.binary(stats.memoryStats.limit))" == "100.8MiB / 23.54GiB")
        let network = StatsMath.network(stats.networks)
        #expect("\(ByteFormat.decimal(network.rx)) / \(ByteFormat.decimal(network.tx))" == "586B / 0B")
    }
}
