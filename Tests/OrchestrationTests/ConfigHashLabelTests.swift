import DockerEngine
import Foundation
import Testing

@testable import Compose
@testable import Orchestration

/// The labels a container gets hash its configuration under the host key: neither the config hash
/// nor the per-field hash of the environment is an unkeyed hash a wordlist could test.
@Suite("Orchestration config-hash labels")
struct ConfigHashLabelTests {
    static func fnv1a(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test("the config-hash and config-fields labels are keyed, not unkeyed hashes of the secret")
    func keyedLabels() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sp-hashlabel-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "services:\n  grafana:\n    image: grafana/grafana:11.1.0\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD: hunter2\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let project = try ComposeLoader().load(ComposeLoadOptions(files: [file.path], projectName: "hashlabel", environment: [:]))
        let service = try #require(project.service(named: "grafana"))
        let desired = Orchestration.DesiredProject(compose: project)
        let labels = desired.containerLabels(service: try #require(desired.service("grafana")), number: 1)

        let hash = try #require(labels[DockerEngine.ComposeLabels.configHash])
        #expect(hash == service.configHash(key: .host))
        #expect(hash != ComposeHash.sha256Hex(service.hashedValue().canonicalJSON()))

        let observed = DockerEngine.ContainerSummary(id: "x", names: ["/x"], labels: labels, state: .running)
        let fields = try #require(observed.fieldHashes)
        let environment = try #require(service.hashedValue()["environment"]).canonicalJSON()
        let environmentHash = try #require(fields["environment"])
        #expect(environmentHash == service.fieldHashes(key: .host)["environment"])
        #expect(environmentHash != Self.fnv1a(environment))
        #expect(environmentHash != String(ComposeHash.sha256Hex(environment).prefix(16)))
    }
}
