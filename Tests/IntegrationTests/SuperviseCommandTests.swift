import ArgumentParser
import Foundation
import Testing

@testable import StackPilotCommands

/// `stackpilot supervise` refuses bad input with exit 2 and the flag or file named, before it
/// touches the engine or starts a server.
@Suite("stackpilot supervise: bad input")
struct SuperviseCommandTests {
    struct BadFlag: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var named: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test(
        "bad flag values exit 2 and name the flag",
        arguments: [
            BadFlag(arguments: ["--heal-grace=-1"], named: "--heal-grace"),
            BadFlag(arguments: ["--heal-max-restarts", "0"], named: "--heal-max-restarts"),
            BadFlag(arguments: ["--doctor-interval=-5"], named: "--doctor-interval"),
            BadFlag(arguments: ["--listen", "nonsense"], named: "--listen"),
            BadFlag(arguments: ["--cache", "999"], named: "--cache"),
            BadFlag(arguments: ["--project", ""], named: "--project"),
            BadFlag(arguments: ["--source", "gpu"], named: "--source"),
            BadFlag(arguments: ["--prometheus-url", "prometheus:9090"], named: "--prometheus-url"),
            BadFlag(arguments: ["--grafana-url", "ftp://grafana"], named: "--grafana-url"),
            BadFlag(arguments: ["--grafana-url", "http://"], named: "--grafana-url"),
        ])
    func badFlags(_ flag: BadFlag) {
        let report = ErrorReporting.report(for: StackPilot.parseUsageError(["supervise"] + flag.arguments))
        #expect(report.exitCode == 2)
        #expect(report.message.contains(flag.named), "\(report.message)")
    }

    @Test("a manifest that does not exist exits 2, before the engine is asked anything or the exporter starts")
    func missingManifest() async throws {
        let path = "/nonexistent-\(UUID().uuidString)/stackpilot.yml"
        // A dead engine socket: reaching it would not fail the command (the source probe tolerates
        // it), but the exporter would start and this call would never return.
        let code = await StackPilot.execute([
            "supervise", "--manifest", path, "--listen", "127.0.0.1:0", "--host", "unix:///nonexistent-\(UUID().uuidString).sock",
        ])
        #expect(code == 2)
    }
}
