import DockerEngine
import Foundation
import PrometheusAPI
import Testing

@testable import Doctor

/// The swarm group's decisions, over the engine's own JSON for nodes, services and tasks.
@Suite("Doctor swarm checks")
struct SwarmChecksTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    static func node(_ id: String, role: String = "worker", state: String = "ready", availability: String = "active", reachability: String? = nil) -> String {
        let manager = reachability.map { #","ManagerStatus":{"Leader":false,"Reachability":"\#($0)","Addr":"10.0.0.1:2377"}"# } ?? ""
        return
            #"{"ID":"\#(id)","Spec":{"Role":"\#(role)","Availability":"\#(availability)"},"Description":{"Hostname":"\#(id)"},"Status":{"State":"\#(state)","Addr":"10.0.0.2"}\#(manager)}"#
    }

    static func nodes(_ items: [String]) throws -> [DockerEngine.Node] { try decode([DockerEngine.Node].self, "[\(items.joined(separator: ","))]") }

    static func service(
        _ id: String, global: Bool = false, replicas: Int = 1, running: Int? = nil, desired: Int? = nil,
        endpointMode: String? = nil, ports: String = "", networks: Bool = true
    ) -> String {
        let mode = global ? #"{"Global":{}}"# : #"{"Replicated":{"Replicas":\#(replicas)}}"#
        let status = running.map { #","ServiceStatus":{"RunningTasks":\#($0),"DesiredTasks":\#(desired ?? $0)}"# } ?? ""
        let endpoint = #"{"Mode":"\#(endpointMode ?? "vip")"\#(ports.isEmpty ? "" : #","Ports":[\#(ports)]"#)}"#
        let nets = networks ? #","Networks":[{"Target":"stackpilot"}]"# : ""
        return
            #"{"ID":"\#(id)","Spec":{"Name":"\#(id)","Mode":\#(mode),"TaskTemplate":{"ContainerSpec":{"Image":"x"}\#(nets)},"EndpointSpec":\#(endpoint)}\#(status)}"#
    }

    static func task(
        _ service: String, node: String, slot: Int? = nil, state: String = "running", desired: String = "running",
        err: String? = nil, exitCode: Int? = nil, at: String = "2026-12-02T16:00:00.123456789Z"
    ) -> String {
        let errText = err.map { #","Err":"\#($0)""# } ?? ""
        let container = exitCode.map { #","ContainerStatus":{"ExitCode":\#($0)}"# } ?? ""
        let slotText = slot.map { #","Slot":\#($0)"# } ?? ""
        return
            #"{"ID":"\#(service)-\#(node)-\#(slot ?? 0)-\#(state)","ServiceID":"\#(service)","NodeID":"\#(node)"\#(slotText),"DesiredState":"\#(desired)","Status":{"Timestamp":"\#(at)","State":"\#(state)"\#(errText)\#(container)}}"#
    }

    static func state(nodes: [String], services: [String], tasks: [String]) throws -> Doctor.SwarmState {
        Doctor.SwarmState(
            nodes: try Self.nodes(nodes), services: try decode([DockerEngine.Service].self, "[\(services.joined(separator: ","))]"),
            tasks: try decode([DockerEngine.SwarmTask].self, "[\(tasks.joined(separator: ","))]"))
    }

    static let now = Date(timeIntervalSince1970: 1_796_227_500)  // 2026-12-02T16:05:00Z

    struct NodesCase: Sendable, CustomTestStringConvertible {
        var nodes: [String]
        var status: Doctor.Status
        var code: String
        var testDescription: String { code }
    }

    @Test(
        "nodes: down fails, drained or paused warns, all ready and active is ok",
        arguments: [
            NodesCase(nodes: [node("m1", role: "manager", reachability: "reachable"), node("w1"), node("w2")], status: .ok, code: "swarm.nodes.ok"),
            NodesCase(
                nodes: [node("m1", role: "manager", reachability: "reachable"), node("w1", state: "down"), node("w2", availability: "drain")],
                status: .failure, code: "swarm.nodes.down"),
            NodesCase(
                nodes: [node("m1", role: "manager", reachability: "reachable"), node("w1", state: "disconnected")], status: .failure, code: "swarm.nodes.down"),
            NodesCase(
                nodes: [node("m1", role: "manager", reachability: "reachable"), node("w1", availability: "drain")], status: .warning,
                code: "swarm.nodes.drained"),
            NodesCase(
                nodes: [node("m1", role: "manager", reachability: "reachable"), node("w1", availability: "pause")], status: .warning, code: "swarm.nodes.paused"
            ),
        ])
    func nodes(_ c: NodesCase) throws {
        let finding = Doctor.swarmNodesFinding(try Self.nodes(c.nodes))
        #expect(finding.status == c.status)
        #expect(finding.code == c.code)
    }

    struct QuorumCase: Sendable, CustomTestStringConvertible {
        var reachable: Int
        var managers: Int
        var status: Doctor.Status
        var code: String
        var testDescription: String { "\(reachable) of \(managers) managers reachable: \(code)" }
    }

    @Test(
        "managers: fewer than floor(M/2)+1 reachable is a lost quorum; exactly that many with one lost is at risk",
        arguments: [
            QuorumCase(reachable: 1, managers: 1, status: .ok, code: "swarm.managers.ok"),
            QuorumCase(reachable: 3, managers: 3, status: .ok, code: "swarm.managers.ok"),
            QuorumCase(reachable: 2, managers: 3, status: .warning, code: "swarm.quorum.at-risk"),
            QuorumCase(reachable: 1, managers: 3, status: .failure, code: "swarm.quorum.lost"),
            QuorumCase(reachable: 4, managers: 5, status: .warning, code: "swarm.managers.unreachable"),
            QuorumCase(reachable: 3, managers: 5, status: .warning, code: "swarm.quorum.at-risk"),
            QuorumCase(reachable: 2, managers: 5, status: .failure, code: "swarm.quorum.lost"),
            QuorumCase(reachable: 1, managers: 2, status: .failure, code: "swarm.quorum.lost"),
        ])
    func quorum(_ c: QuorumCase) throws {
        let managers = (0..<c.managers).map { i in
            Self.node("m\(i)", role: "manager", state: i < c.reachable ? "ready" : "down", reachability: i < c.reachable ? "reachable" : "unreachable")
        }
        let finding = Doctor.swarmManagersFinding(try Self.nodes(managers + [Self.node("w1")]))
        #expect(finding.status == c.status)
        #expect(finding.code == c.code)
    }

    @Test("services: running against desired, global counted per usable node when the engine sends no count")
    func convergence() throws {
        let state = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable"), Self.node("w1"), Self.node("w2", availability: "drain")],
            services: [Self.service("api", replicas: 3), Self.service("node-exporter", global: true), Self.service("grafana", running: 1, desired: 1)],
            tasks: [
                Self.task("api", node: "m1", slot: 1), Self.task("api", node: "w1", slot: 2),
                Self.task("api", node: "", slot: 3, state: "pending", err: "no suitable node (insufficient resources on 2 nodes)"),
                Self.task("node-exporter", node: "m1"), Self.task("node-exporter", node: "w1", state: "preparing"),
                Self.task("node-exporter", node: "w2", state: "shutdown", desired: "shutdown"),
            ])
        let all = Doctor.convergence(state)
        #expect(all.map(\.service) == ["api", "grafana", "node-exporter"])
        #expect(all.map(\.running) == [2, 1, 1])
        #expect(all.map(\.desired) == [3, 1, 2])
        let finding = Doctor.swarmServicesFinding(state)
        #expect(finding.status == .failure)
        #expect(finding.code == "swarm.services.not-converged")
        #expect(finding.evidence.contains("api: 2/3"))

        let converged = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable")],
            services: [Self.service("api", replicas: 1)], tasks: [Self.task("api", node: "m1", slot: 1)])
        #expect(Doctor.swarmServicesFinding(converged).code == "swarm.services.converged")
    }

    struct TaskCase: Sendable, CustomTestStringConvertible {
        var task: String
        var code: String
        var testDescription: String { code }
    }

    @Test(
        "tasks: each failure is classified with its node",
        arguments: [
            TaskCase(
                task: task("api", node: "", slot: 1, state: "pending", err: "no suitable node (insufficient memory on 3 nodes)"),
                code: "swarm.tasks.unplaceable"),
            TaskCase(
                task: task("api", node: "w2", slot: 1, state: "rejected", err: "No such image: 10.0.0.9:5000/workload-sim:0.1.0"), code: "swarm.tasks.image"),
            TaskCase(
                task: task("api", node: "w2", slot: 1, state: "failed", err: "task: non-zero exit (137): OOMKilled", exitCode: 137), code: "swarm.tasks.oom"),
            TaskCase(task: task("api", node: "w2", slot: 1, state: "failed", err: "task: non-zero exit (1)", exitCode: 1), code: "swarm.tasks.exited"),
        ])
    func taskFailures(_ c: TaskCase) throws {
        let state = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable"), Self.node("w2")],
            services: [Self.service("api", replicas: 1)], tasks: [c.task])
        let finding = Doctor.swarmTaskFailuresFinding(state, now: Self.now)
        #expect(finding.status == .failure)
        #expect(finding.code == c.code)
        #expect(finding.evidence.first?.hasPrefix("api.1 on ") == true)
    }

    @Test("tasks: old failures are forgotten, failures of a converged service only warn")
    func taskWindow() throws {
        let nodes = [Self.node("m1", role: "manager", reachability: "reachable")]
        let old = try Self.state(
            nodes: nodes, services: [Self.service("api")],
            tasks: [
                Self.task("api", node: "m1", slot: 1),
                Self.task(
                    "api", node: "m1", slot: 1, state: "failed", desired: "shutdown", err: "task: non-zero exit (1)", exitCode: 1, at: "2026-12-02T15:00:00Z"),
            ])
        #expect(Doctor.swarmTaskFailuresFinding(old, now: Self.now).code == "swarm.tasks.ok")
        let recent = try Self.state(
            nodes: nodes, services: [Self.service("api")],
            tasks: [
                Self.task("api", node: "m1", slot: 1),
                Self.task(
                    "api", node: "m1", slot: 1, state: "failed", desired: "shutdown", err: "task: non-zero exit (1)", exitCode: 1, at: "2026-12-02T16:04:00Z"),
            ])
        let finding = Doctor.swarmTaskFailuresFinding(recent, now: Self.now)
        #expect(finding.status == .warning)
        #expect(finding.code == "swarm.tasks.exited")
    }

    static let noIPVS = Doctor.IPVSSupport(available: false, evidence: ["no ip_vs"])

    @Test("ports: without IPVS, vip endpoints and ingress ports fail; dnsrr and host ports pass")
    func ports() throws {
        let vip = try Self.decode([DockerEngine.Service].self, "[\(Self.service("prometheus", ports: #"{"TargetPort":9090,"PublishedPort":9090}"#))]")
        let finding = Doctor.swarmPortsFinding(vip, ipvs: Self.noIPVS)
        #expect(finding.status == .failure)
        #expect(finding.code == "swarm.ports.no-ipvs")
        #expect(finding.evidence.contains("prometheus: endpoint_mode vip"))
        #expect(finding.evidence.contains("prometheus: ingress port 9090:9090"))

        let dnsrr = try Self.decode(
            [DockerEngine.Service].self,
            "[\(Self.service("prometheus", endpointMode: "dnsrr", ports: #"{"TargetPort":9090,"PublishedPort":9090,"PublishMode":"host"}"#))]")
        #expect(Doctor.swarmPortsFinding(dnsrr, ipvs: Self.noIPVS).code == "swarm.ports.ok")
        #expect(Doctor.swarmPortsFinding(vip, ipvs: .init(available: true, evidence: [])).code == "swarm.ports.ok")
    }

    struct IPVSCase: Sendable, CustomTestStringConvertible {
        var probe: Doctor.IPVSSupport.Probe
        var available: Bool
        var testDescription: String { "\(probe.procNetIPVS) \(probe.moduleFiles) → \(available)" }
    }

    @Test(
        "IPVS: loaded, listed, built in, loadable or configured is available; none of these is not",
        arguments: [
            IPVSCase(probe: .init(kernel: "6.1.0", procNetIPVS: true, modules: nil, builtin: nil, moduleFiles: [], config: nil), available: true),
            IPVSCase(
                probe: .init(
                    kernel: "6.1.0", procNetIPVS: false, modules: "ip_vs 172032 0 - Live 0x0\nnf_conntrack 1 - Live\n", builtin: nil, moduleFiles: [],
                    config: nil), available: true),
            IPVSCase(
                probe: .init(kernel: "6.1.0", procNetIPVS: false, modules: "", builtin: "kernel/net/netfilter/ipvs/ip_vs.ko\n", moduleFiles: [], config: nil),
                available: true),
            IPVSCase(
                probe: .init(
                    kernel: "6.1.0", procNetIPVS: false, modules: "", builtin: nil,
                    moduleFiles: ["/lib/modules/6.1.0/kernel/net/netfilter/ipvs/ip_vs.ko.xz"], config: nil), available: true),
            IPVSCase(
                probe: .init(kernel: "6.1.0", procNetIPVS: false, modules: nil, builtin: nil, moduleFiles: [], config: "CONFIG_IP_VS=m\n"), available: true),
            IPVSCase(
                probe: .init(kernel: "6.18.44-fc", procNetIPVS: false, modules: nil, builtin: nil, moduleFiles: [], config: "# CONFIG_IP_VS is not set\n"),
                available: false),
            IPVSCase(
                probe: .init(kernel: "6.18.44-fc", procNetIPVS: false, modules: "ip_vs_rr 1 - Live\n", builtin: "", moduleFiles: [], config: nil),
                available: false),
        ])
    func ipvs(_ c: IPVSCase) {
        #expect(Doctor.IPVSSupport.decide(c.probe).available == c.available)
    }

    static func target(node: String, up: Bool) throws -> PrometheusAPI.Target {
        try decode(
            PrometheusAPI.Target.self,
            #"{"labels":{"job":"node-exporter","node":"\#(node)"},"scrapePool":"node-exporter","scrapeUrl":"http://10.0.1.5:9100/metrics","lastError":"\#(up ? "" : "context deadline exceeded")","health":"\#(up ? "up" : "down")"}"#
        )
    }

    @Test("overlay: a node whose every target is down is unreachable; no node label is not applicable")
    func overlay() throws {
        let state = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable"), Self.node("w1"), Self.node("w2")], services: [], tasks: [])
        let ok = Doctor.swarmOverlayFinding(
            state, targets: [try Self.target(node: "m1", up: true), try Self.target(node: "w1", up: true), try Self.target(node: "w2", up: true)])
        #expect(ok.code == "swarm.overlay.ok")
        let bad = Doctor.swarmOverlayFinding(state, targets: [try Self.target(node: "m1", up: true), try Self.target(node: "w2", up: false)])
        #expect(bad.status == .failure)
        #expect(bad.code == "swarm.overlay.unreachable")
        #expect(bad.summary.contains("w2"))
        #expect(Doctor.swarmOverlayFinding(state, targets: []).code == "swarm.overlay.unknown")
    }

    @Test("registry: answers and no pull failed is ok; a node's pull error or no answer fails")
    func registry() throws {
        let pullFailed = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable"), Self.node("w2")], services: [Self.service("api")],
            tasks: [Self.task("api", node: "w2", slot: 1, state: "rejected", err: "No such image: reg:5000/api")])
        let fine = try Self.state(
            nodes: [Self.node("m1", role: "manager", reachability: "reachable")], services: [Self.service("api")],
            tasks: [Self.task("api", node: "m1", slot: 1)])
        #expect(Doctor.swarmRegistryFinding(fine, registry: "reg:5000", answers: .status(200)).code == "swarm.registry.ok")
        #expect(Doctor.swarmRegistryFinding(pullFailed, registry: "reg:5000", answers: .status(200)).code == "swarm.registry.pull-failed")
        #expect(Doctor.swarmRegistryFinding(fine, registry: "reg:5000", answers: .noAnswer("connection refused")).code == "swarm.registry.unreachable")
        #expect(Doctor.swarmRegistryFinding(fine, registry: "reg:5000", answers: .untrustedTLS("certificate")).code == "swarm.registry.ok")
        #expect(Doctor.swarmRegistryFinding(pullFailed, registry: "reg:5000", answers: .untrustedTLS("certificate")).code == "swarm.registry.pull-failed")
        #expect(Doctor.swarmRegistryFinding(fine, registry: nil, answers: nil).status == .notApplicable)
    }
}
