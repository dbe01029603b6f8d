import DockerEngine

extension Orchestration {
    /// Images on Swarm: every node pulls the image itself, so an image that exists only on this
    /// engine (built, or from `scripts/images`) is tagged with the manifest's registry and pushed
    /// there, and the services name it by its registry reference. No `docker save | docker load`.
    public enum SwarmImages {
        /// `registry/path:tag` for a local reference (`stackpilot-local/workload-sim:0.1.0` ->
        /// `127.0.0.1:5000/stackpilot-local/workload-sim:0.1.0`); a reference that already names a
        /// registry host keeps its path under the new one. Nil for a reference pinned by digest (it
        /// is pulled as written).
        public static func remoteName(_ local: String, registry: String) -> String? {
            let ref = DockerEngine.ImageReference(local)
            guard !ref.isDigest else { return nil }
            if local.hasPrefix(registry + "/") { return local }
            var path = ref.repository.split(separator: "/").map(String.init)
            if path.count > 1, let first = path.first, first.contains(".") || first.contains(":") || first == "localhost" { path.removeFirst() }
            return "\(registry)/\(path.joined(separator: "/")):\(ref.tag)"
        }

        /// For each image the services name: the reference the nodes pull, and the pushes that
        /// makes necessary (only for images this engine has; reads only).
        public static func resolve(
            _ images: [String], registry: String?, client: DockerEngine.Client
        ) async
            -> (references: [String: String], pushes: [(local: String, remote: String)])
        {
            var references: [String: String] = [:]
            var pushes: [(local: String, remote: String)] = []
            for image in Set(images).sorted() {
                references[image] = image
                guard let registry, let remote = remoteName(image, registry: registry), remote != image else { continue }
                guard (try? await client.inspectImage(image)) != nil else { continue }
                references[image] = remote
                pushes.append((image, remote))
            }
            return (references, pushes)
        }
    }
}
