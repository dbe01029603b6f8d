import Compose
import DockerEngine
import Foundation
import Orchestration
import TestSupport
import Testing

/// Secrets sourced from `environment:` and configs with `content:` or `environment:` are copied into
/// the created container before it starts, as compose v2 does on one host (`PUT
/// /containers/{id}/archive`): the file exists at its target with the value and the mode, and a
/// changed value recreates the container.
@Suite("Secrets and configs copied into containers", .serialized, .requiresEngine)
struct CopiedFilesIntegrationTests {
    static func compose(image: String) -> String {
        """
        services:
          a:
            image: \(image)
            command:
              - sh
              - -c
              - >-
                cat /run/secrets/token; echo '|'; cat /etc/app.conf; echo '|'; cat /run/secrets/owned; echo '|';
                ls -ln /run/secrets/token /etc/app.conf /run/secrets/owned /from-env
            secrets:
              - token
              - {source: token, target: owned, uid: "1000", gid: "1001", mode: 0400}
            configs:
              - {source: app, target: /etc/app.conf}
              - {source: envconfig, target: /from-env}
        secrets:
          token: {environment: SP_TEST_TOKEN}
        configs:
          app: {content: "listen 8080"}
          envconfig: {environment: SP_TEST_CONFIG}
        """
    }

    @Test("the files exist in the container with the value, the mode and the owner; a changed value recreates it")
    func copied() async throws {
        let client = try await TestEngine.client()
        let image = try await TestImages.busybox(client)
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-copied-\(id)")
        let name = "sptest-copied-\(id)"
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("compose.yml")
        try Self.compose(image: image).write(to: file, atomically: true, encoding: .utf8)
        let executor = Orchestration.Executor(engine: Orchestration.DockerEngineBackend(client: client)) { _ in }
        func load(_ token: String) throws -> Orchestration.DesiredProject {
            let project = try ComposeLoader().load(
                ComposeLoadOptions(
                    files: [file.path], projectName: name, environment: ["SP_TEST_TOKEN": token, "SP_TEST_CONFIG": "from the environment"]))
            return Orchestration.DesiredProject(compose: project)
        }
        defer { try? FileManager.default.removeItem(at: dir) }

        do {
            let desired = try load("s3cret-one")
            try await executor.up(desired, plan: try Orchestration.Planner.plan(desired, observed: try await executor.observe(desired)))
            let filters = DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(name)")
            let container = try #require(try await client.listContainers(all: true, filters: filters).first)
            _ = try await client.waitContainer(container.id, timeout: .seconds(60))
            let logs = String(decoding: try await client.logs(container.id).collect().stdout, as: UTF8.self)
            let parts = logs.components(separatedBy: "|\n")
            #expect(parts.count == 4, "output: \(logs)")
            #expect(parts.first == "s3cret-one")  // exactly the value: no newline added
            #expect(parts.dropFirst().first == "listen 8080")
            #expect(parts.dropFirst(2).first == "s3cret-one")
            let listing = parts.last ?? ""
            // ls -ln: mode, links, uid, gid, size, ..., path. Default mode 0444, owner root.
            func entry(_ path: String) -> [String]? {
                listing.split(separator: "\n").first { $0.hasSuffix(" " + path) }.map { $0.split(separator: " ").map(String.init) }
            }
            #expect(entry("/run/secrets/token")?.prefix(5) == ["-r--r--r--", "1", "0", "0", "10"])
            #expect(entry("/etc/app.conf")?.prefix(5) == ["-r--r--r--", "1", "0", "0", "11"])
            #expect(entry("/run/secrets/owned")?.prefix(5) == ["-r--------", "1", "1000", "1001", "10"])
            #expect(entry("/from-env")?.prefix(5) == ["-r--r--r--", "1", "0", "0", "20"])
            // The value is in no label and not in the create body.
            let inspected = try await client.inspectContainer(container.id)
            #expect(!(inspected.config?.labels ?? [:]).values.contains { $0.contains("s3cret") })
            #expect(!(inspected.config?.env ?? []).contains { $0.contains("s3cret") })

            // Same value: nothing to do; another value: the container is recreated.
            let same = try load("s3cret-one")
            #expect(try Orchestration.Planner.plan(same, observed: try await executor.observe(same)).actions(.recreateContainer).isEmpty)
            let changed = try load("s3cret-two")
            #expect(try Orchestration.Planner.plan(changed, observed: try await executor.observe(changed)).actions(.recreateContainer).count == 1)
        } catch {
            await CreateBodyParityTests.tearDown(client, executor: executor, projects: [name], directory: dir)
            throw error
        }
        await CreateBodyParityTests.tearDown(client, executor: executor, projects: [name], directory: dir)
    }
}
