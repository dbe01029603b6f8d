import Compose
import DockerEngine
import Foundation
import TestSupport
import Testing

@testable import Doctor
@testable import Orchestration

/// This machine's engine has no NVIDIA container toolkit: a GPU request cannot be met, and the
/// user gets the engine's reason with what to install, not a bare 500.
@Suite("GPU requests on an engine without GPUs", .serialized, .requiresEngine, .timeLimit(.minutes(5)))
struct GPURequestIntegrationTests {
    @Test("a container with a DeviceRequest for driver nvidia fails on start with the explained error; doctor names the service")
    func unsatisfiable() async throws {
        try await EngineFixture.with(area: "gpu") { fixture in
            let engine = fixture.engine
            let info = try await engine.info()
            if (info.runtimes ?? [:]).keys.contains(where: { $0.hasPrefix("nvidia") }) {
                print("skipping: this engine has an nvidia runtime, so the request may be met")
                return
            }
            let image = try await TestImages.busybox(engine)
            var config = DockerEngine.ContainerConfig(
                image: image, cmd: ["sleep", "60"],
                labels: fixture.labels.merging([
                    "com.docker.compose.project": fixture.prefix, "com.docker.compose.service": "model-api",
                ]) { $1 })
            config.hostConfig = DockerEngine.HostConfig()
            config.hostConfig?.deviceRequests = [DockerEngine.DeviceRequest(driver: "nvidia", count: -1, capabilities: [["gpu"]])]
            let name = fixture.name("model-api")
            let created = try await engine.createContainer(name: name, config)
            fixture.removeContainerLater(created.id)

            // The engine accepts the request at create and refuses it at start.
            let refused = await #expect(throws: DockerEngine.Error.self) {
                try await engine.startContainer(created.id)
            }
            let engineError = try #require(refused)
            #expect(engineError.status == 500, "\(engineError)")
            guard case .http(_, let reason) = engineError else { return }
            #expect(reason.contains(#"could not select device driver "nvidia""#), "\(reason)")

            // What `up` reports for that start.
            let wrapped = Orchestration.Executor.wrap(engineError, operation: "start container", target: name)
            guard case .engine(_, let target, let message) = wrapped else {
                Issue.record("not an engine error: \(wrapped)")
                return
            }
            #expect(target == name)
            #expect(message.contains(reason))
            #expect(message.contains("the NVIDIA container toolkit is not configured"))
            #expect(message.contains("nvidia-ctk runtime configure --runtime=docker"))
            #expect(!wrapped.isBadInput)

            // Doctor finds the container's request (no compose file needed: the container says so).
            let project = try #require(try Self.project(named: fixture.prefix))
            let requests = try await Doctor.gpuRequests(engine, projects: [project])
            #expect(requests.map(\.service) == ["model-api"])
            #expect(requests.first?.granted == true && requests.first?.count == -1 && requests.first?.running == false)
            let finding = Doctor.noGPUFinding(requests: requests, reason: .libraryNotFound(library: "libnvidia-ml.so.1", reason: "absent"), info: info)
            #expect(finding.status == .failure)
            #expect(finding.code == "gpu.absent.requested")
        }
    }

    /// An empty compose project of that name (the container carries the compose labels).
    static func project(named name: String) throws -> ComposeProject? {
        let directory = FileManager.default.temporaryDirectory.appending(path: "\(name)-compose")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "compose.yml").path
        try "services: {}\n".write(toFile: file, atomically: true, encoding: .utf8)
        return try ComposeLoader().load(ComposeLoadOptions(files: [file], projectName: name, environment: [:]))
    }
}
