/// The service dependency graph: `depends_on`, `network_mode: service:X` and `volumes_from`.
public struct DependencyGraph: Sendable {
    /// service -> services it depends on, sorted.
    public let dependencies: [String: [String]]

    public init(services: [ServiceConfig]) {
        var deps: [String: Set<String>] = [:]
        for s in services {
            var d = Set(s.dependsOn.map(\.service))
            if let mode = s.networkMode, mode.hasPrefix("service:") { d.insert(String(mode.dropFirst(8))) }
            if case .array(let from)? = s.other["volumes_from"] {
                for case .string(let entry) in from where !entry.hasPrefix("container:") {
                    d.insert(String(entry.split(separator: ":").first ?? ""))
                }
            }
            deps[s.name] = d
        }
        let known = Set(deps.keys)
        dependencies = deps.mapValues { $0.filter(known.contains).sorted() }
    }

    /// The first cycle found, as a path that starts and ends with the same service (`a -> b -> a`); a
    /// self-dependency is `a -> a`.
    public func firstCycle() -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ node: String) -> [String]? {
            state[node] = 1
            stack.append(node)
            for next in dependencies[node] ?? [] {
                if state[next] == 1 {
                    let start = stack.firstIndex(of: next)!
                    return Array(stack[start...]) + [next]
                }
                if state[next] == nil, let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            state[node] = 2
            return nil
        }
        for node in dependencies.keys.sorted() where state[node] == nil {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }

    /// Services in start order: every service after the ones it depends on; ties by name. Nil when there is a cycle.
    public func startOrder() -> [String]? {
        var remaining = dependencies.mapValues { Set($0) }
        var order: [String] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.isEmpty }.keys.sorted()
            guard !ready.isEmpty else { return nil }
            for name in ready {
                order.append(name)
                remaining[name] = nil
            }
            for key in remaining.keys { remaining[key]!.subtract(ready) }
        }
        return order
    }

    /// Start order in levels: each level depends only on earlier levels, so a level can start in parallel.
    public func levels() -> [[String]]? {
        var remaining = dependencies.mapValues { Set($0) }
        var out: [[String]] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.isEmpty }.keys.sorted()
            guard !ready.isEmpty else { return nil }
            out.append(ready)
            for name in ready { remaining[name] = nil }
            for key in remaining.keys { remaining[key]!.subtract(ready) }
        }
        return out
    }
}

extension ComposeProject {
    public var dependencyGraph: DependencyGraph { DependencyGraph(services: services) }
    /// Services in start order (dependencies first). The loader rejects cycles, so this is never nil for a loaded project.
    public var startOrder: [String] { dependencyGraph.startOrder() ?? serviceNames }
}
