import DockerEngine
import Foundation
import TestSupport
import Testing

/// The local images of scripts/images (stackpilot-local/<name>:0.1.0).
enum LocalImages {
    static let version = "0.1.0"
    static func tag(_ name: String) -> String { "stackpilot-local/\(name):\(version)" }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String { "scripts/images exited \(status): \(stderr.suffix(2000))" }
    }

    /// Runs `scripts/images NAMES...` (fast when the images are current) and returns its stdout.
    @discardableResult
    static func ensure(_ names: [String]) throws -> String {
        let result = try Subprocess.run(repositoryRoot.appending(path: "scripts/images").path, names, in: repositoryRoot, separateErrors: true)
        guard result.status == 0 else { throw ScriptFailed(status: result.status, stderr: result.errors) }
        return result.output
    }
}

@Suite("scripts/images", .serialized, .requiresEngine, .timeLimit(.minutes(30)))
struct ImagesIntegrationTests {
    @Test("the Debian-based images are FROM scratch with busybox, labelled, and scripts/images prints their export lines")
    func debianImages() async throws {
        let engine = try await TestEngine.client()
        let output = try LocalImages.ensure(["prometheus", "node-exporter"])
        #expect(output.contains("export PROMETHEUS_IMAGE=stackpilot-local/prometheus:0.1.0\n"))
        #expect(output.contains("export NODE_EXPORTER_IMAGE=stackpilot-local/node-exporter:0.1.0\n"))
        for name in ["prometheus", "node-exporter"] {
            let image = try await engine.inspectImage(LocalImages.tag(name))
            #expect(image.config?.labels?["stackpilot.images.hash"]?.isEmpty == false)
            #expect(image.config?.labels?["org.opencontainers.image.version"] == "0.1.0")
        }
        // Unchanged inputs: a second run rebuilds nothing, so the image ids stay the same.
        let before = try await engine.inspectImage(LocalImages.tag("prometheus")).id
        try LocalImages.ensure(["prometheus"])
        #expect(try await engine.inspectImage(LocalImages.tag("prometheus")).id == before)
    }

    @Test("unknown image names are refused with exit code 2")
    func badName() throws {
        #expect(throws: LocalImages.ScriptFailed.self) { try LocalImages.ensure(["grafana"]) }
        do {
            try LocalImages.ensure(["grafana"])
        } catch let error as LocalImages.ScriptFailed {
            #expect(error.status == 2)
            #expect(error.stderr.contains("unknown argument 'grafana'"))
        }
    }

    @Test(
        "each image starts and its compose healthcheck (busybox wget) passes",
        arguments: [
            ("node-exporter", [String](), "http://localhost:9100/metrics"),
            ("prometheus", [String](), "http://localhost:9090/-/ready"),
            ("workload-sim", ["WORKLOAD_ROLE=model-api", "LOAD_RATE=0"], "http://localhost:5001/health"),
        ])
    func startsHealthy(name: String, env: [String], url: String) async throws {
        try LocalImages.ensure([name])
        try await EngineFixture.with(area: "images") { fixture in
            var config = DockerEngine.ContainerConfig(image: LocalImages.tag(name), env: env, labels: fixture.labels)
            config.healthcheck = .init(test: ["CMD", "wget", "-q", "--spider", url], interval: .milliseconds(500), timeout: .seconds(3), retries: 60)
            let created = try await fixture.engine.createContainer(name: fixture.name(name), config)
            fixture.removeContainerLater(created.id)
            try await fixture.engine.startContainer(created.id)
            let healthy = try await EngineFixture.eventually(timeout: .seconds(60)) {
                try await fixture.engine.inspectContainer(created.id).state?.health?.status == .healthy
            }
            #expect(healthy, "\(name) did not become healthy")
        }
    }
}
