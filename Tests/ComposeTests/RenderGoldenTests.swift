import Foundation
import Logging
import Testing

@testable import Compose

/// `stackpilot config` output, pinned byte for byte: the vendored acceptance stacks, the repository's
/// own stacks and a file that sets every key of `ServiceKey.all` (plus the long forms of the nested
/// ones) render exactly as the files under `Tests/ComposeTests/Golden` say, as YAML (shown and
/// redacted), as JSON and as the canonical JSON that the config hash is computed over. A renderer
/// change that alters output fails here; `STACKPILOT_UPDATE_GOLDEN=1` rewrites the files.
@Suite("Compose config output (golden)")
struct RenderGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var directory: String
        var files: [String]
        var testDescription: String { name }
    }

    static let goldenDirectory = Fixture.repoRoot + "/Tests/ComposeTests/Golden"

    static let cases: [Case] = [
        Case(name: "every-key", directory: goldenDirectory + "/every-key", files: ["compose.yaml"]),
        Case(name: "dockprom", directory: Fixture.acceptanceDirectory + "/dockprom", files: ["docker-compose.yml"]),
        Case(name: "dockprom-exporters", directory: Fixture.acceptanceDirectory + "/dockprom", files: ["docker-compose.exporters.yml"]),
        Case(name: "vegasbrianc-compose", directory: Fixture.acceptanceDirectory + "/vegasbrianc-prometheus", files: ["docker-compose.yml"]),
        Case(name: "vegasbrianc-stack", directory: Fixture.acceptanceDirectory + "/vegasbrianc-prometheus", files: ["docker-stack.yml"]),
        Case(
            name: "awesome-compose", directory: Fixture.acceptanceDirectory + "/awesome-compose-prometheus-grafana/prometheus-grafana",
            files: ["compose.yaml"]),
        Case(name: "stacks-monitoring", directory: Fixture.stacksDirectory, files: ["monitoring.yml"]),
        Case(name: "stacks-app", directory: Fixture.stacksDirectory, files: ["app.yml"]),
    ]

    /// Everything `config` can print for the project, with the machine's paths replaced.
    static func rendered(_ c: Case) throws -> String {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let project = try ComposeLoader(logger: logger).load(
            ComposeLoadOptions(
                files: c.files.map { c.directory + "/" + $0 }, projectName: "golden", environment: ["HOME": "/home/golden"],
                currentDirectory: c.directory))
        var out = "# yaml\n" + (try project.plainValue().escapingDollars().yaml())
        out += "# yaml, redacted\n" + (try project.redactedPlainValue().escapingDollars().yaml())
        out += "# json\n" + project.plainValue().escapingDollars().prettyJSON() + "\n"
        out += "# hashed\n" + project.services.map { "\($0.name) \($0.hashedValue().canonicalJSON())" }.joined(separator: "\n") + "\n"
        out += "# warnings\n" + project.warnings.map { "\($0.location.line):\($0.location.column) \($0.path) \($0.message)" }.joined(separator: "\n") + "\n"
        return out.replacingOccurrences(of: Fixture.repoRoot, with: "<repo>").replacingOccurrences(of: c.directory, with: "<dir>")
    }

    @Test("config output is unchanged", arguments: cases)
    func golden(_ c: Case) throws {
        let text = try Self.rendered(c)
        let path = "\(Self.goldenDirectory)/\(c.name).golden"
        if ProcessInfo.processInfo.environment["STACKPILOT_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "config output of \(c.name) differs from \(path)")
    }
}
