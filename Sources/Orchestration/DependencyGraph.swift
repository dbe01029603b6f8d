extension Orchestration {
    /// The depends_on graph of a project. Edges point from a service to what it depends on.
    public struct DependencyGraph: Sendable {
        public struct Edge: Sendable, Hashable {
            public var to: String
            /// When false, the dependent goes ahead even if this dependency failed.
            public var required: Bool
            public init(to: String, required: Bool = true) {
                self.to = to
                self.required = required
            }
        }

        /// Nodes in declaration order (used to keep every ordering deterministic).
        public private(set) var nodes: [String]
        public private(set) var edges: [String: [Edge]]

        public init(nodes: [String], edges: [String: [Edge]]) {
            self.nodes = nodes
            let known = Set(nodes)
            // Edges to services that are not part of the graph (e.g. an optional dependency the
            // user left out) are dropped here; the planner reports them.
            self.edges = edges.mapValues { $0.filter { known.contains($0.to) } }
        }

        public init(project: DesiredProject) {
            self.init(
                nodes: project.services.map(\.name),
                edges: Dictionary(
                    uniqueKeysWithValues: project.services.map { service in
                        (service.name, service.dependencies.map { Edge(to: $0.service, required: $0.required) })
                    })
            )
        }

        public func dependencies(of node: String) -> [Edge] { edges[node] ?? [] }

        public func dependents(of node: String) -> [String] {
            nodes.filter { n in dependencies(of: n).contains { $0.to == node } }
        }

        /// The graph with every edge reversed (for stopping: dependents before their dependencies).
        public var reversed: DependencyGraph {
            var rev: [String: [Edge]] = [:]
            for n in nodes {
                for e in dependencies(of: n) { rev[e.to, default: []].append(Edge(to: n, required: true)) }
            }
            return DependencyGraph(nodes: nodes, edges: rev)
        }

        /// `roots` plus everything they depend on, transitively, in node order.
        public func closure(of roots: [String]) -> [String] {
            var seen = Set<String>()
            var stack = roots
            while let n = stack.popLast() {
                guard seen.insert(n).inserted else { continue }
                stack.append(contentsOf: dependencies(of: n).map(\.to))
            }
            return nodes.filter { seen.contains($0) }
        }

        /// The subgraph on `keep`.
        public func restricted(to keep: Set<String>) -> DependencyGraph {
            DependencyGraph(nodes: nodes.filter { keep.contains($0) }, edges: edges.filter { keep.contains($0.key) })
        }

        /// A dependency cycle, if there is one, as a path that starts and ends at the same node.
        public func cycle() -> [String]? {
            enum Mark { case visiting, done }
            var marks: [String: Mark] = [:]
            var path: [String] = []
            func visit(_ n: String) -> [String]? {
                if marks[n] == .done { return nil }
                if marks[n] == .visiting {
                    let start = path.firstIndex(of: n)!
                    return Array(path[start...]) + [n]
                }
                marks[n] = .visiting
                path.append(n)
                for e in dependencies(of: n) {
                    if let c = visit(e.to) { return c }
                }
                path.removeLast()
                marks[n] = .done
                return nil
            }
            for n in nodes {
                if let c = visit(n) { return c }
            }
            return nil
        }

        /// Dependencies before dependents; ties keep declaration order. Throws on a cycle.
        public func topologicalOrder() throws(OrchestrationError) -> [String] {
            if let c = cycle() { throw .dependencyCycle(c) }
            var remaining = nodes
            var done = Set<String>()
            var order: [String] = []
            while !remaining.isEmpty {
                let ready = remaining.filter { n in dependencies(of: n).allSatisfy { done.contains($0.to) } }
                order.append(contentsOf: ready)
                done.formUnion(ready)
                remaining.removeAll { done.contains($0) }
            }
            return order
        }

        /// The outcome of one node of a scheduled run.
        public enum Outcome: Sendable, Equatable {
            case succeeded
            case failed(String)
            /// Not run because a required dependency failed or was skipped.
            case skipped(because: String)
            /// Not run because the run was cancelled.
            case cancelled
        }

        /// Runs `body` for every node once all of its dependencies have finished, with as many
        /// nodes at once as the graph allows (bounded by `maxConcurrency`). A node whose required
        /// dependency failed is skipped; an optional (`required: false`) one does not hold it back.
        public func run(
            maxConcurrency: Int = .max,
            _ body: @escaping @Sendable (String) async throws -> Void
        ) async throws(OrchestrationError) -> [String: Outcome] {
            if let c = cycle() { throw .dependencyCycle(c) }
            var outcomes: [String: Outcome] = [:]
            var running = Set<String>()
            await withTaskGroup(of: (String, Outcome).self) { group in
                func launchReady() {
                    for n in nodes where outcomes[n] == nil && !running.contains(n) {
                        guard running.count < max(1, maxConcurrency) else { return }
                        var blocked = false
                        var skipReason: String?
                        for e in dependencies(of: n) {
                            switch outcomes[e.to] {
                            case nil: blocked = true
                            case .succeeded: break
                            case .failed, .skipped, .cancelled:
                                if e.required { skipReason = skipReason ?? e.to }
                            }
                        }
                        if blocked { continue }
                        if let reason = skipReason {
                            outcomes[n] = .skipped(because: reason)
                            launchReady()
                            return
                        }
                        if Task.isCancelled {
                            outcomes[n] = .cancelled
                            continue
                        }
                        running.insert(n)
                        group.addTask {
                            if Task.isCancelled { return (n, .cancelled) }
                            do {
                                try await body(n)
                                return (n, .succeeded)
                            } catch is CancellationError {
                                return (n, .cancelled)
                            } catch {
                                return (n, .failed(String(describing: error)))
                            }
                        }
                    }
                }
                launchReady()
                while let (n, outcome) = await group.next() {
                    running.remove(n)
                    outcomes[n] = outcome
                    launchReady()
                }
            }
            for n in nodes where outcomes[n] == nil { outcomes[n] = .cancelled }
            return outcomes
        }
    }
}
