import Foundation
import Grafana
import Testing

@testable import StackPilotCommands

@Suite("Grafana credentials: environment, *_FILE, then the manifest's env file")
struct GrafanaCredentialsTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var envFile: String?
        var environment: [String: String]
        var expected: Grafana.Credentials
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing set: the manifest's defaults", envFile: nil, environment: [:], expected: .basic(user: "admin", password: "admin")),
        Case(
            name: "stacks/.env, as compose gives it to Grafana", envFile: "GRAFANA_ADMIN_USER=ops\nGRAFANA_ADMIN_PASSWORD=from-env-file\n",
            environment: [:], expected: .basic(user: "ops", password: "from-env-file")),
        Case(
            name: "the environment wins over stacks/.env", envFile: "GRAFANA_ADMIN_PASSWORD=from-env-file\n",
            environment: ["GRAFANA_ADMIN_PASSWORD": "from-environment"], expected: .basic(user: "admin", password: "from-environment")),
        Case(
            name: "GRAFANA_PASSWORD wins over the manifest's variables", envFile: "GRAFANA_ADMIN_PASSWORD=from-env-file\n",
            environment: ["GRAFANA_PASSWORD": "own"], expected: .basic(user: "admin", password: "own")),
        Case(
            name: "GRAFANA_TOKEN wins over everything", envFile: "GRAFANA_ADMIN_PASSWORD=from-env-file\n",
            environment: ["GRAFANA_TOKEN": "glsa_x", "GRAFANA_PASSWORD": "own"], expected: .bearer(token: "glsa_x")),
    ]

    @Test("credentials are read in the documented order", arguments: cases)
    func order(_ testCase: Case) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-credentials-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(at: repository.appendingPathComponent("stacks/stackpilot.yml"), to: directory.appendingPathComponent("stackpilot.yml"))
        for name in ["monitoring.yml", "app.yml"] { try Data().write(to: directory.appendingPathComponent(name)) }
        if let envFile = testCase.envFile { try Data(envFile.utf8).write(to: directory.appendingPathComponent(".env")) }
        let context = CommandContext(manifest: directory.appendingPathComponent("stackpilot.yml").path, environment: testCase.environment)
        #expect(try context.grafana().connection.credentials == testCase.expected)
    }
}
