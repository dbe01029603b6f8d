import DockerEngine
import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@testable import Doctor
@testable import Orchestration

/// The doctor's swarm group against the lab's real manager, after a small deploy with
/// SwarmDeployTests' fixture: `Doctor.SwarmState.read` and the checks that judge it.
@Suite("Swarm cluster on the lab", .serialized, .requiresSwarmLab)
struct SwarmClusterTests {
    /// The swarm group, with a Prometheus that does not answer (the overlay check then says it
    /// cannot look) and the lab's registry.
    static func swarmReport(_ lab: SwarmLab, _ manager: DockerEngine.Client) async throws -> [String: Doctor.Finding] {
        let url = "http://127.0.0.1:\(try TestServers.freePort())"
        let prometheus = PrometheusAPI.Client(
            transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Logger(label: "test"))
        let report = await Doctor.Runner().run(Doctor.swarmChecks(manager, prometheus: prometheus, registry: lab.registry))
        return Dictionary(report.results.map { ($0.check, $0.finding) }, uniquingKeysWith: { a, _ in a })
    }

    /// Two services that need no IPVS (this kernel has none): dnsrr endpoints.
    static let small = """
        services:
          a:
            image: \(SwarmDeployTests.image)
            command: [sleep, "3600"]
            deploy: {endpoint_mode: dnsrr, replicas: 2}
          b:
            image: \(SwarmDeployTests.image)
            command: [sleep, "3600"]
            deploy: {endpoint_mode: dnsrr, mode: global}
        """

    @Test("after a small deploy the state reads the stack's services and tasks, and the swarm group passes")
    func doctorAfterDeploy() async throws {
        let s = try await SwarmDeployTests.Stack()
        do {
            try await s.deploy(Self.small)
            let state = try #require(try await Doctor.SwarmState.read(s.manager))
            #expect(state.nodes.count == s.lab.nodeSockets.count)
            let names = Set(state.services.compactMap(\.spec?.name))
            #expect(names.isSuperset(of: ["\(s.namespace)_a", "\(s.namespace)_b"]))
            let ours = Set(state.services.filter { $0.spec?.name?.hasPrefix(s.namespace) == true }.map(\.id))
            let running = state.tasks.filter { ours.contains($0.serviceID ?? "") && $0.status?.state == .running }
            #expect(running.count == 2 + s.lab.nodeSockets.count)

            let findings = try await Self.swarmReport(s.lab, s.manager)
            #expect(findings["nodes"]?.code == "swarm.nodes.ok")
            #expect(findings["managers"]?.code == "swarm.managers.ok")
            #expect(findings["services"]?.status == .ok)
            #expect(findings["overlay"]?.code == "swarm.overlay.unknown")
            #expect(findings["tasks"]?.status != .failure)
            #expect(findings["registry"]?.code == "swarm.registry.ok")
            // Other stacks on the shared lab may need IPVS; ours must not be named.
            #expect(!(findings["ports"]?.evidence ?? []).contains { $0.hasPrefix(s.namespace) })
        } catch {
            await s.remove()
            throw error
        }
        await s.remove()
    }
}
