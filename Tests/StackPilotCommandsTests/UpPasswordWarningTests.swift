import Foundation
import Testing

@testable import StackPilotCommands

/// `stackpilot up` warns when Grafana's password resolves to "admin", resolving it as doctor does.
@Suite("stackpilot up: default Grafana password warning")
struct UpPasswordWarningTests {
    /// A copy of the repository's stacks in a temporary directory, with an empty env file, so a
    /// stacks/.env that scripts/up wrote on this machine plays no part.
    static func stacks() throws -> URL {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-upwarn-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in ["stackpilot.yml", "monitoring.yml", "app.yml"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent("stacks/\(file)"), to: directory.appendingPathComponent(file))
        }
        try Data().write(to: directory.appendingPathComponent(".env"))
        return directory
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var environment: [String: String]
        var warns: Bool
        var testDescription: String { environment.isEmpty ? "nothing set" : environment.keys.sorted().joined(separator: ", ") }
    }

    @Test(
        "warns exactly when the password doctor would use is admin",
        arguments: [
            Case(environment: [:], warns: true),
            Case(environment: ["GRAFANA_ADMIN_PASSWORD": "admin"], warns: true),
            Case(environment: ["GRAFANA_ADMIN_PASSWORD": "not-the-default"], warns: false),
            Case(environment: ["GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "admin"], warns: true),
            Case(environment: ["GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "another"], warns: false),
            Case(environment: ["GRAFANA_TOKEN": "glsa_service_account_token"], warns: false),
        ])
    func warning(_ c: Case) throws {
        let directory = try Self.stacks()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("stackpilot.yml").path
        #expect(StackPilot.Up.grafanaPasswordIsDefault(CommandContext(manifest: manifest, environment: c.environment)) == c.warns)
    }

    @Test("the warning names the variable to set")
    func wording() {
        #expect(StackPilot.Up.defaultPasswordWarning.contains("GRAFANA_ADMIN_PASSWORD"))
    }
}
