import Foundation
import Testing

@testable import StackPilotCommands

/// `stackpilot config` prints secrets masked by value in both formats, and in clear only when asked.
@Suite("stackpilot config redaction")
struct ConfigRedactionTests {
    @Test("a secret from .env is masked in YAML and JSON wherever it appears, and shown with --show-secrets")
    func masked() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-config-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "DB_PASSWORD=cli-secret-42\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        try """
        services:
          db:
            image: busybox
            command: ["sh", "-c", "connect postgres://app:${DB_PASSWORD}@db/x"]
            labels: {note: "${DB_PASSWORD}"}
            environment: {PGPASSWORD: "${DB_PASSWORD}"}
        """.write(toFile: dir + "/compose.yml", atomically: true, encoding: .utf8)
        let file = dir + "/compose.yml"
        for format in ["yaml", "json"] {
            let text = try #require(try StackPilot.Config.parse(["-f", file, "--format", format]).output())
            #expect(!text.contains("cli-secret-42"), "\(format)")
            #expect(text.contains("********"), "\(format)")
            let shown = try #require(try StackPilot.Config.parse(["-f", file, "--format", format, "--show-secrets"]).output())
            #expect(shown.contains("cli-secret-42"), "\(format)")
        }
    }
}
