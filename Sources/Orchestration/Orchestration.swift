/// Observe -> plan -> execute for compose stacks.
///
/// The module is split so that the interesting decisions are pure functions:
/// - `Orchestration.Naming` / `Orchestration.Labels`: compose's names and labels, so docker compose
///   and StackPilot see each other's stacks;
/// - `Orchestration.DependencyGraph`: the depends_on DAG, its order and a scheduler that runs work
///   with as much parallelism as the graph allows;
/// - `Orchestration.Planner`: (desired project, observed state) -> `Plan`, each action with its reason;
/// - `Orchestration.Executor`: runs a plan against an `OrchestrationEngine` (the Docker engine in
///   production), gated by depends_on conditions observed through the engine's events stream.
public enum Orchestration {}

extension Orchestration {
    /// Compose's label keys. Values follow compose v2 (`oneoff` is "False"/"True").
    public enum Labels {
        public static let project = "com.docker.compose.project"
        public static let service = "com.docker.compose.service"
        public static let containerNumber = "com.docker.compose.container-number"
        public static let oneoff = "com.docker.compose.oneoff"
        public static let configHash = "com.docker.compose.config-hash"
        public static let configFiles = "com.docker.compose.project.config_files"
        public static let workingDir = "com.docker.compose.project.working_dir"
        public static let version = "com.docker.compose.version"
        public static let network = "com.docker.compose.network"
        public static let volume = "com.docker.compose.volume"
        public static let image = "com.docker.compose.image"
        public static let dependsOn = "com.docker.compose.depends_on"
        /// StackPilot's own: short hashes of each top-level field of the service's canonical
        /// configuration, so a recreate can say which fields differ. Ignored by compose.
        public static let fieldHashes = "io.stackpilot.config-fields"
        /// The compose version written into `com.docker.compose.version`. docker compose only
        /// displays it; StackPilot writes the compose-spec version it follows.
        public static let composeVersion = "2.27.0"
    }

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
