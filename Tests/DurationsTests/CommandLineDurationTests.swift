import Durations
import Testing

@Suite("CommandLineDuration")
struct CommandLineDurationTests {
    @Test(
        "units, compound units, decimals and bare seconds parse",
        arguments: [
            ("1s", Duration.seconds(1)), ("500ms", .milliseconds(500)), ("2.5s", .milliseconds(2500)), ("1m", .seconds(60)),
            ("2", .seconds(2)), ("0.5", .milliseconds(500)), ("0", .zero), ("0.1s", .milliseconds(100)), ("10", .seconds(10)),
            ("1m30s", .seconds(90)), ("1h", .seconds(3600)), ("1.5m", .seconds(90)), ("90s", .seconds(90)),
        ])
    func accepted(_ text: String, _ expected: Duration) {
        #expect(CommandLineDuration.parse(text) == expected)
    }

    @Test(
        "signs, unknown units, spaces and numbers no Duration holds are refused",
        arguments: [
            "", "s", "-1s", "+1s", "5x", "1 s", "nan", "inf", "infs", "1e30", "1e300ms", "1.2.3s", "1d", "ms",
        ])
    func refused(_ text: String) {
        #expect(CommandLineDuration.parse(text) == nil)
    }

    @Test(
        "format reads back to the same duration",
        arguments: [
            (Duration.zero, "0s"), (.milliseconds(100), "100ms"), (.seconds(1), "1s"), (.milliseconds(1500), "1.5s"),
            (.seconds(120), "2m"), (.seconds(90), "1m30s"), (.seconds(3600), "1h"), (.seconds(3605), "1h5s"),
        ])
    func format(_ duration: Duration, _ text: String) {
        #expect(CommandLineDuration.format(duration) == text)
        #expect(CommandLineDuration.parse(text) == duration)
    }
}
