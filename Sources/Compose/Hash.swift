import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum ComposeHash {
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func sha256Hex(_ text: String) -> String { hex(SHA256.hash(data: Array(text.utf8))) }
}

/// The key under which this host hashes service configurations into container labels
/// (`com.docker.compose.config-hash`, `io.stackpilot.config-fields`): HMAC-SHA256, so a label or
/// `config --hash` output cannot be tested against a wordlist of passwords without the key.
///
/// 32 random bytes in a file created 0600 (directory 0700): `STACKPILOT_HASH_KEY_FILE`, else
/// `$XDG_STATE_HOME/stackpilot/hash.key`, else `$HOME/.local/state/stackpilot/hash.key`, else
/// `/var/lib/stackpilot/hash.key`. Created once, on first use, atomically (concurrent first runs
/// agree on one key); the same key on every later run, so a no-op `up` stays a no-op. When no file can
/// be kept, the key is derived from the host's machine id and user id (stable, but known to whoever
/// can read /etc/machine-id): `hostSource` says which.
public struct ConfigHashKey: Sendable, Equatable {
    public static let size = 32
    public static let environmentVariable = "STACKPILOT_HASH_KEY_FILE"

    let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(!bytes.isEmpty, "a hash key needs bytes")
        self.bytes = bytes
    }

    /// Where the host key came from.
    public enum Source: Sendable, Equatable {
        case file(String)
        /// No key file could be read or created (`reason`); the key is derived from the machine id.
        case derived(reason: String)
    }

    public enum KeyFileError: Error, Sendable, Equatable, CustomStringConvertible {
        case io(path: String, operation: String, reason: String)
        /// The file exists but is not a regular file of `ConfigHashKey.size` bytes.
        case malformed(path: String)

        public var description: String {
            switch self {
            case .io(let path, let operation, let reason): return "cannot \(operation) \(path): \(reason)"
            case .malformed(let path): return "\(path) is not a \(ConfigHashKey.size)-byte hash key file; remove it to create a new key"
            }
        }
    }

    /// This host's key, loaded (or created) once per process.
    public static var host: ConfigHashKey { hostKey.key }
    public static var hostSource: Source { hostKey.source }
    private static let hostKey: (key: ConfigHashKey, source: Source) = loadHost(environment: ProcessInfo.processInfo.environment)

    static func loadHost(environment: [String: String]) -> (key: ConfigHashKey, source: Source) {
        let path = defaultPath(environment: environment)
        do {
            return (try loadOrCreate(at: path), .file(path))
        } catch {
            return (derived(uid: getuid()), .derived(reason: error.description))
        }
    }

    public static func defaultPath(environment: [String: String]) -> String {
        if let explicit = environment[environmentVariable], !explicit.isEmpty { return explicit }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/stackpilot/hash.key" }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" { return home + "/.local/state/stackpilot/hash.key" }
        return "/var/lib/stackpilot/hash.key"
    }

    /// Reads the key at `path`, or creates it (0600, in a 0700 directory) when there is none.
    public static func loadOrCreate(at path: String) throws(KeyFileError) -> ConfigHashKey {
        if let existing = try readKey(path) { return existing }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: directory, operation: "create", reason: "\(error.localizedDescription)")
        }
        // Write a temporary file, then link it into place: link fails when another process won the
        // race, and then its key is the one.
        var random = SystemRandomNumberGenerator()  // getrandom(2)
        let key = (0..<size).map { _ in UInt8.random(in: 0...UInt8.max, using: &random) }
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .io(path: temporary, operation: "create", reason: Self.reason(errno)) }
        defer { unlink(temporary) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == size, synced == 0 else { throw .io(path: temporary, operation: "write", reason: Self.reason(errno)) }
        if link(temporary, path) != 0 && errno != EEXIST { throw .io(path: path, operation: "create", reason: Self.reason(errno)) }
        guard let stored = try readKey(path) else { throw .malformed(path: path) }
        return stored
    }

    /// The key at `path`, nil when there is no file. A key readable by others is made 0600.
    static func readKey(_ path: String) throws(KeyFileError) -> ConfigHashKey? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw .malformed(path: path) }
            throw .io(path: path, operation: "read", reason: Self.reason(errno))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, operation: "read", reason: Self.reason(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size == size else { throw .malformed(path: path) }
        if info.st_mode & 0o077 != 0, info.st_uid == getuid() { _ = fchmod(fd, 0o600) }
        var bytes = [UInt8](repeating: 0, count: size)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress!, size) }
        guard n == size else { throw .malformed(path: path) }
        return ConfigHashKey(bytes: bytes)
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The fallback key: HMAC of the user id under the machine id.
    static func derived(uid: uid_t) -> ConfigHashKey {
        let machineID =
            ["/etc/machine-id", "/var/lib/dbus/machine-id"].lazy
            .compactMap { FileManager.default.contents(atPath: $0) }.first ?? Data("stackpilot-no-machine-id".utf8)
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("stackpilot config-hash key, uid \(uid)".utf8),
            using: SymmetricKey(data: machineID))
        return ConfigHashKey(bytes: Array(code))
    }

    /// HMAC-SHA256 (hex) of `text` in a domain (so a field hash never equals a config hash).
    func authenticate(_ domain: String, _ text: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data((domain + "\n" + text).utf8), using: SymmetricKey(data: bytes))
        return ComposeHash.hex(code)
    }
}

extension ServiceConfig {
    /// The service as it counts for the config hash, following docker compose v2's rule
    /// (pkg/compose/hash.go `ServiceHash`): `build`, `pull_policy`, `scale`, `deploy.replicas`,
    /// `depends_on` and `profiles` removed (an emptied `deploy` too).
    func hashedValue() -> ComposeValue {
        var copy = self
        copy.build = nil
        copy.pullPolicy = nil
        copy.other["scale"] = nil
        copy.deploy?.replicas = nil
        if let d = copy.deploy, d.mode == nil, d.limits == nil, d.reservations == nil, d.other.isEmpty { copy.deploy = nil }
        copy.dependsOn = []
        copy.profiles = []
        guard case .object(var pairs) = copy.plainValue() else { return copy.plainValue() }
        // What is copied into the container counts (a changed value recreates it): only here, under
        // the hash's key, never in what `config` prints.
        for (key, refs) in [("secrets", secrets), ("configs", configs)] where refs.contains(where: { $0.content != nil }) {
            guard let i = pairs.firstIndex(where: { $0.key == key }) else { continue }
            pairs[i].value = .array(
                refs.map { ref in
                    guard case .object(var fields) = ref.plainValue(), let content = ref.content else { return ref.plainValue() }
                    fields.append(.init("content", .string(content)))
                    return .object(fields)
                })
        }
        return .object(pairs)
    }

    /// The service's config hash: HMAC-SHA256 (hex) under `key` of the canonical JSON of
    /// `hashedValue()` (object keys sorted, no insignificant whitespace, `/` unescaped, integers without
    /// a fraction). Anything that affects the container changes it, a secret included; build, pull
    /// policy, scale, replicas, dependencies and profiles do not. Compose v2 hashes its own
    /// serialisation without a key, so a container created by docker compose is recreated once.
    public func configHash(key: ConfigHashKey) -> String {
        key.authenticate("config-hash", hashedValue().canonicalJSON())
    }

    /// A short keyed hash (HMAC-SHA256, 16 hex digits) of each top-level field of `hashedValue()`, for
    /// the `io.stackpilot.config-fields` label, so a recreate can name the fields that changed.
    public func fieldHashes(key: ConfigHashKey = .host) -> [String: String] {
        guard case .object(let pairs) = hashedValue() else { return [:] }
        var hashes: [String: String] = [:]
        for pair in pairs where pair.key != "name" {
            hashes[pair.key] = String(key.authenticate("config-field " + pair.key, pair.value.canonicalJSON()).prefix(16))
        }
        return hashes
    }
}
