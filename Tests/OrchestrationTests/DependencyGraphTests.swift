import Synchronization
import Testing

@testable import Orchestration

@Suite("Orchestration.DependencyGraph")
struct DependencyGraphTests {
    typealias Graph = Orchestration.DependencyGraph
    typealias Edge = Graph.Edge

    /// grafana -> prometheus -> (api, node-exporter); api -> model-api
    static let monitoring = Graph(
        nodes: ["grafana", "prometheus", "api", "model-api", "node-exporter"],
        edges: [
            "grafana": [Edge(to: "prometheus")],
            "prometheus": [Edge(to: "api"), Edge(to: "node-exporter")],
            "api": [Edge(to: "model-api")],
        ])

    @Test("topological order puts every dependency before its dependents")
    func order() throws {
        let order = try Self.monitoring.topologicalOrder()
        #expect(order.count == 5)
        for (node, edges) in Self.monitoring.edges {
            for e in edges {
                #expect(order.firstIndex(of: e.to)! < order.firstIndex(of: node)!, "\(e.to) before \(node)")
            }
        }
    }

    @Test("a cycle is reported as a path that returns to its start")
    func cycle() {
        let g = Graph(nodes: ["a", "b", "c"], edges: ["a": [Edge(to: "b")], "b": [Edge(to: "c")], "c": [Edge(to: "a")]])
        let c = g.cycle()
        #expect(c?.first == c?.last)
        #expect(c?.count == 4)
        #expect(throws: OrchestrationError.self) { try g.topologicalOrder() }
        #expect(OrchestrationError.dependencyCycle(["a", "b", "a"]).description == "dependency cycle: a -> b -> a")
    }

    @Test("closure adds transitive dependencies, reversed puts dependents first")
    func closureAndReverse() throws {
        #expect(Self.monitoring.closure(of: ["prometheus"]) == ["prometheus", "api", "model-api", "node-exporter"])
        let rev = try Self.monitoring.reversed.topologicalOrder()
        #expect(rev.firstIndex(of: "grafana")! < rev.firstIndex(of: "prometheus")!)
        #expect(rev.firstIndex(of: "api")! < rev.firstIndex(of: "model-api")!)
    }

    @Test("run starts a node only after its dependencies and runs independent nodes at the same time")
    func runRespectsOrderWithParallelism() async throws {
        let log = Mutex<[String]>([])
        let active = Mutex<(now: Int, peak: Int)>((0, 0))
        let outcomes = try await Self.monitoring.run { node in
            active.withLock {
                $0.now += 1; $0.peak = max($0.peak, $0.now)
            }
            log.withLock { $0.append("start \(node)") }
            try await Task.sleep(for: .milliseconds(50))
            log.withLock { $0.append("end \(node)") }
            active.withLock { $0.now -= 1 }
        }
        #expect(outcomes.values.allSatisfy { $0 == .succeeded })
        let events = log.withLock { $0 }
        for (node, edges) in Self.monitoring.edges {
            for e in edges {
                #expect(events.firstIndex(of: "end \(e.to)")! < events.firstIndex(of: "start \(node)")!)
            }
        }
        // model-api and node-exporter have no dependencies: they run together.
        #expect(active.withLock { $0.peak } >= 2)
    }

    @Test("maxConcurrency bounds how many nodes run at once")
    func boundedConcurrency() async throws {
        let g = Graph(nodes: (1...6).map { "s\($0)" }, edges: [:])
        let active = Mutex<(now: Int, peak: Int)>((0, 0))
        _ = try await g.run(maxConcurrency: 2) { _ in
            active.withLock {
                $0.now += 1; $0.peak = max($0.peak, $0.now)
            }
            try await Task.sleep(for: .milliseconds(20))
            active.withLock { $0.now -= 1 }
        }
        #expect(active.withLock { $0.peak } == 2)
    }

    struct Boom: Error {}

    @Test("a failed required dependency skips its dependents; an optional one does not")
    func failurePropagation() async throws {
        let g = Graph(
            nodes: ["db", "web", "worker", "cron"],
            edges: [
                "web": [Edge(to: "db")],
                "worker": [Edge(to: "web")],
                "cron": [Edge(to: "db", required: false)],
            ])
        let ran = Mutex<Set<String>>([])
        let outcomes = try await g.run { node in
            ran.withLock { _ = $0.insert(node) }
            if node == "db" { throw Boom() }
        }
        #expect(outcomes["web"] == .skipped(because: "db"))
        #expect(outcomes["worker"] == .skipped(because: "web"))
        #expect(outcomes["cron"] == .succeeded)
        #expect(ran.withLock { $0 } == ["db", "cron"])
        if case .failed = outcomes["db"] {} else { Issue.record("db should have failed") }
    }
}
