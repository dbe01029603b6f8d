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

    /// A graph from service -> the services it depends on (unknown names are dropped).
    init(dependencies: [String: [String]]) {
        let known = Set(dependencies.keys)
        self.dependencies = dependencies.mapValues { Set($0).filter(known.contains).sorted() }
    }

    /// The first cycle found, as a path that starts and ends with the same service (`a -> b -> a`); a
    /// self-dependency is `a -> a`. Depth-first in name order, with an explicit stack: a chain of
    /// tens of thousands of services must not overflow the thread's stack.
    public func firstCycle() -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var path: [String] = []  // the services being visited, outermost first
        var position: [String: Int] = [:]  // service -> its index in `path`
        var frames: [(node: String, next: Int)] = []
        for root in dependencies.keys.sorted() where state[root] == nil {
            state[root] = 1
            position[root] = path.count
            path.append(root)
            frames.append((root, 0))
            while let top = frames.last {
                let children = dependencies[top.node] ?? []
                guard top.next < children.count else {
                    frames.removeLast()
                    path.removeLast()
                    position[top.node] = nil
                    state[top.node] = 2
                    continue
                }
                frames[frames.count - 1].next += 1
                let next = children[top.next]
                if state[next] == 1 { return Array(path[position[next]!...]) + [next] }
                if state[next] == nil {
                    state[next] = 1
                    position[next] = path.count
                    path.append(next)
                    frames.append((next, 0))
                }
            }
        }
        return nil
    }

    /// Services in start order: every service after the ones it depends on; ties by name. Nil when there is a cycle.
    public func startOrder() -> [String]? {
        levels()?.flatMap { $0 }
    }

    /// Start order in levels: each level depends only on earlier levels, so a level can start in parallel.
    /// Linear in services and dependencies (plus sorting each level), however long the chains are.
    public func levels() -> [[String]]? {
        var waitingOn = dependencies.mapValues { Set($0).count }
        var dependents: [String: [String]] = [:]
        for (service, deps) in dependencies {
            for dep in Set(deps) { dependents[dep, default: []].append(service) }
        }
        var out: [[String]] = []
        var level = waitingOn.filter { $0.value == 0 }.keys.sorted()
        var placed = 0
        while !level.isEmpty {
            out.append(level)
            placed += level.count
            var next: [String] = []
            for service in level {
                for dependent in dependents[service] ?? [] {
                    waitingOn[dependent]! -= 1
                    if waitingOn[dependent] == 0 { next.append(dependent) }
                }
            }
            level = next.sorted()
        }
        return placed == dependencies.count ? out : nil
    }
}

extension ComposeProject {
    public var dependencyGraph: DependencyGraph { DependencyGraph(services: services) }
    /// Services in start order (dependencies first). The loader rejects cycles, so this is never nil for a loaded project.
    public var startOrder: [String] { dependencyGraph.startOrder() ?? serviceNames }
}
