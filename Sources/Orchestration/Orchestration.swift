import DockerEngine

/// Observe -> plan -> execute for compose stacks.
///
/// The module is split so that the interesting decisions are pure functions:
/// - `Orchestration.Naming` (with `DockerEngine.ComposeLabels`): compose's names and labels, so docker compose
///   and StackPilot see each other's stacks;
/// - `Orchestration.DependencyGraph`: the depends_on DAG, its order and a scheduler that runs work
///   with as much parallelism as the graph allows;
/// - `Orchestration.Planner`: (desired project, observed state) -> `Plan`, each action with its reason;
/// - `Orchestration.Executor`: runs a plan against an `OrchestrationEngine` (the Docker engine in
///   production), gated by depends_on conditions observed through the engine's events stream.
public enum Orchestration {}

extension Orchestration {
    /// Compose's label keys: DockerEngine's one table of them, under the short name this module uses.
    typealias Labels = DockerEngine.ComposeLabels

    /// Compose's naming rules.
    public enum Naming {
        /// `<project>-<service>-<n>` (compose v2), unless the service sets `container_name`.
        public static func containerName(project: String, service: String, number: Int, explicit: String? = nil) -> String {
            if let explicit, !explicit.isEmpty { return explicit }
            return "\(project)-\(service)-\(number)"
        }

        /// `<first 12 of the id>_<name>`: where a recreate parks the old container while its
        /// replacement is created under the name (compose v2's temporary name).
        public static func parkedName(id: String, name: String) -> String {
            "\(id.prefix(12))_\(name)"
        }

        /// `<project>_<network>`, unless the network sets `name:`.
        public static func networkName(project: String, network: String, explicit: String? = nil) -> String {
            if let explicit, !explicit.isEmpty { return explicit }
            return "\(project)_\(network)"
        }

        /// `<project>_<volume>`, unless the volume sets `name:`.
        public static func volumeName(project: String, volume: String, explicit: String? = nil) -> String {
            if let explicit, !explicit.isEmpty { return explicit }
            return "\(project)_\(volume)"
        }

        /// Compose's project-name normalisation: lower case, only [a-z0-9_-], starting with a letter or digit.
        public static func normaliseProjectName(_ raw: String) -> String {
            let lowered = raw.lowercased()
            var out = ""
            for ch in lowered.unicodeScalars {
                if ("a"..."z").contains(ch) || ("0"..."9").contains(ch) || ch == "_" || ch == "-" {
                    out.unicodeScalars.append(ch)
                }
            }
            while let first = out.first, first == "_" || first == "-" { out.removeFirst() }
            return out
        }
    }
}
