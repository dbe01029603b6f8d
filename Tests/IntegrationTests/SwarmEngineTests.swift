import DockerEngine
import Foundation
import TestSupport
import Testing

/// The swarm endpoints against the lab's real engines (`scripts/swarm-lab up`): N engines in
/// containers, joined into a swarm, and a TLS registry that the host engine and the nodes share.
@Suite("Swarm endpoints on the lab", .serialized, .requiresEngine, .requiresSwarmLab)
struct SwarmEngineTests {
    @Test("the lab's swarm answers, with every node ready and every engine a member")
    func swarmAndNodes() async throws {
        let lab = try await SwarmLab.require()
        let manager = try lab.manager()
        let swarm = try await manager.inspectSwarm()
        #expect(swarm.id?.isEmpty == false)
        #expect(swarm.joinTokens?.worker?.hasPrefix("SWMTKN-") == true)
        let nodes = try await manager.listNodes()
        #expect(nodes.count == lab.nodeSockets.count)
        #expect(nodes.allSatisfy { $0.status?.state == .ready && $0.spec?.availability == .active })
        #expect(nodes.filter { $0.spec?.role == .manager }.count == lab.managerSockets.count)
        #expect(nodes.filter { $0.managerStatus?.leader == true }.count == 1)
        #expect(Set(nodes.compactMap(\.description?.hostname)) == Set((1...lab.nodeSockets.count).map { "node-\($0)" }))
        for (index, engine) in try lab.nodes().enumerated() {
            let info = try await engine.info()
            #expect(info.swarm?.localNodeState == .active, "node-\(index + 1)")
            #expect(nodes.contains { $0.id == info.swarm?.nodeID }, "node-\(index + 1) is not in the manager's list")
        }
        let worker = try #require(nodes.first { $0.spec?.role == .worker } ?? nodes.first)
        #expect(try await manager.inspectNode(worker.id).description?.hostname == worker.description?.hostname)
    }

    @Test("a pushed image runs as 3 dnsrr replicas on several nodes; update, stale update, logs, removal")
    func serviceLifecycle() async throws {
        let lab = try await SwarmLab.require()
        let manager = try lab.manager()
        try await EngineFixture.with(area: "swarm") { fixture in
            // The host engine pushes a local image; the nodes pull the same reference.
            let local = try await TestImages.busybox(fixture.engine)
            let image = lab.reference("stackpilot-test/busybox", tag: fixture.prefix)
            try await fixture.engine.tagImage(local, as: image)
            fixture.removeImageLater(image)
            let digest = try await fixture.engine.push(image, timeout: .seconds(120))
            #expect(digest?.hasPrefix("sha256:") == true)

            var container = DockerEngine.ContainerSpec(image: image, command: ["sh", "-c", "echo hello-from-$(hostname); exec sleep 3600"])
            container.stopGracePeriod = 1_000_000_000
            let spec = DockerEngine.ServiceSpec(
                name: fixture.name("web"), labels: fixture.labels,
                taskTemplate: .init(containerSpec: container, placement: .init(maxReplicas: 2)),
                mode: .replicated(3), endpointSpec: .init(mode: .dnsrr))
            let created = try await manager.createService(spec)
            fixture.onCleanup("service \(created.id)") { try? await manager.removeService(created.id) }

            let running = { () async throws -> [DockerEngine.SwarmTask] in
                try await manager.listTasks(filters: .init().adding("service", created.id).adding("desired-state", "running"))
                    .filter { $0.status?.state == .running }
            }
            let converged = try await EngineFixture.eventually(timeout: .seconds(90)) { try await running().count == 3 }
            let tasks = try await manager.listTasks(filters: .init().adding("service", created.id))
            #expect(converged, "tasks: \(tasks.map { "\($0.status?.state?.rawValue ?? "?") \($0.status?.err ?? "")" })")
            #expect(Set(try await running().compactMap(\.nodeID)).count >= 2, "max 2 replicas per node spreads 3 tasks over 2 nodes or more")
            let listed = try #require(try await manager.listServices(filters: .init().name(fixture.name("web"))).first)
            #expect(listed.serviceStatus?.runningTasks == 3)
            #expect(listed.spec?.endpointSpec?.mode == .dnsrr)

            // An update carries the version it read; the same version again is stale.
            let before = try await manager.inspectService(created.id)
            let version = try #require(before.version?.index)
            var changed = try #require(before.spec)
            changed.labels?["stackpilot.test.revision"] = "2"
            try await manager.updateService(created.id, version: version, spec: changed)
            let after = try await manager.inspectService(created.id)
            #expect(after.spec?.labels?["stackpilot.test.revision"] == "2")
            #expect((after.version?.index ?? 0) > version)
            let stale = await #expect(throws: DockerEngine.Error.self) {
                try await manager.updateService(created.id, version: version, spec: changed)
            }
            #expect(stale?.status == 409)

            // Every task's output through the manager.
            var output = ""
            let logged = try await EngineFixture.eventually(timeout: .seconds(30)) {
                output = String(decoding: try await manager.serviceLogs(created.id).collect().stdout, as: UTF8.self)
                return output.components(separatedBy: "hello-from-").count - 1 >= 3
            }
            #expect(logged, "service logs: \(output)")

            try await manager.removeService(created.id)
            let gone = await #expect(throws: DockerEngine.Error.self) { try await manager.inspectService(created.id) }
            #expect(gone?.isNotFound == true)
            // Once the service is gone, a tasks filter naming it answers 404 on 20.10: no task left either.
            #expect(
                try await EngineFixture.eventually(timeout: .seconds(30)) {
                    do {
                        return try await manager.listTasks(filters: .init().adding("service", created.id)).isEmpty
                    } catch let error as DockerEngine.Error where error.isNotFound {
                        return true
                    }
                })
        }
    }

    @Test("configs and secrets are created, listed, read and removed; a name in use is 409")
    func configsAndSecrets() async throws {
        let lab = try await SwarmLab.require()
        let manager = try lab.manager()
        try await EngineFixture.with(area: "swarm") { fixture in
            let data = Data("global:\n  scrape_interval: 15s\n".utf8)
            let config = try await manager.createConfig(.init(name: fixture.name("prometheus"), labels: fixture.labels, data: data))
            fixture.onCleanup("config") { try? await manager.removeConfig(config.id) }
            let duplicate = await #expect(throws: DockerEngine.Error.self) {
                _ = try await manager.createConfig(.init(name: fixture.name("prometheus"), data: data))
            }
            #expect(duplicate?.isConflict == true)
            #expect(try await manager.listConfigs(filters: .init().label("\(EngineFixture.labelKey)=\(fixture.prefix)")).map(\.id) == [config.id])
            #expect(try await manager.inspectConfig(fixture.name("prometheus")).spec?.data == data)
            try await manager.removeConfig(config.id)
            #expect(try await manager.listConfigs(filters: .init().name(fixture.name("prometheus"))).isEmpty)

            let secret = try await manager.createSecret(
                .init(name: fixture.name("db-password"), labels: fixture.labels, data: Data("not-a-real-password".utf8)))
            fixture.onCleanup("secret") { try? await manager.removeSecret(secret.id) }
            let inspected = try await manager.inspectSecret(secret.id)
            #expect(inspected.spec?.name == fixture.name("db-password"))
            #expect(inspected.spec?.data == nil, "the engine never returns a secret's data")
            #expect(try await manager.listSecrets(filters: .init().label("\(EngineFixture.labelKey)=\(fixture.prefix)")).map(\.id) == [secret.id])
            try await manager.removeSecret(secret.id)
            let gone = await #expect(throws: DockerEngine.Error.self) { try await manager.inspectSecret(secret.id) }
            #expect(gone?.isNotFound == true)
        }
    }
}
