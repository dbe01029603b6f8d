import Foundation
import JSONDocument

/// The stand-in's one `GrafanaStore`, serialised by an actor and kept in the data directory as
/// Grafana keeps `grafana.db` in `/var/lib/grafana`: loaded at start, written after every change
/// (a temporary file, then `rename`, so a crash leaves the old or the new state, never half of one).
/// Each write runs on a copy that replaces the store only when the domain accepted it, so a refused
/// request changes nothing.
actor GrafanaState {
    private(set) var store: GrafanaStore
    let staticToken: String?
    let sortDashboardKeys: Bool
    private let now: @Sendable () -> Date
    private let database: URL?
    /// Where the provisioning files are, so `POST /api/admin/provisioning/*/reload` can read them again.
    private(set) var provisioningSource: (root: String, environment: [String: String])?

    /// The state file inside the data directory.
    static let fileName = "grafana-standin.json"

    /// Loads the state kept in `configuration.dataPath` when there is one. The admin user and
    /// password of a new state come from the configuration; a kept state keeps its own password,
    /// as Grafana keeps a password changed in its database over GF_SECURITY_ADMIN_PASSWORD.
    init(configuration: StandInConfiguration, clock: @escaping @Sendable () -> Date = { Date() }) throws(StandInError) {
        staticToken = configuration.serviceAccountToken
        sortDashboardKeys = configuration.sortDashboardKeys
        now = clock
        database = configuration.dataPath.map { URL(fileURLWithPath: $0).appendingPathComponent(Self.fileName) }
        if let database, let kept = try Self.load(database) {
            store = kept
        } else {
            store = GrafanaStore(adminLogin: configuration.adminUser, adminPassword: configuration.adminPassword)
        }
    }

    func setProvisioningSource(root: String, environment: [String: String]) {
        provisioningSource = (root, environment)
    }

    /// Who sent a request (failed logins are recorded and kept, as Grafana's login_attempt table).
    func authenticate(authorization: String?) -> Result<Identity, GrafanaAPIError> {
        let before = store.failedLogins
        defer { if store.failedLogins != before { save() } }
        do {
            return .success(try store.authenticate(authorization: authorization, staticToken: staticToken, now: now()))
        } catch {
            return .failure(error)
        }
    }

    func failedLoginCount(user: String) -> Int { store.failedLoginCount(user: user, now: now()) }

    /// Reads the store.
    func read<T: Sendable, E: Error>(_ body: @Sendable (GrafanaStore) throws(E) -> T) throws(E) -> T {
        try body(store)
    }

    /// Changes the store when `body` succeeds, and keeps the result in the data directory.
    func write<T: Sendable, E: Error>(_ body: @Sendable (inout GrafanaStore) throws(E) -> T) throws(E) -> T {
        var copy = store
        let result = try body(&copy)
        store = copy
        save()
        return result
    }

    /// A change that cannot be refused (provisioning's own bookkeeping), kept like `write`'s.
    func change<T: Sendable>(_ body: @Sendable (inout GrafanaStore) -> T) -> T {
        let result = body(&store)
        save()
        return result
    }

    // MARK: - The data directory

    static func load(_ file: URL) throws(StandInError) -> GrafanaStore? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .database(file: file.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(GrafanaStore.self, from: data)
        } catch {
            throw .database(file: file.path, reason: "is not a state this stand-in wrote (\(error)); move it away to start empty")
        }
    }

    /// Best effort after the change was accepted: a failed write is logged by the caller's server
    /// log through `lastSaveError` and retried with the next change.
    private(set) var lastSaveError: String?

    private func save() {
        guard let database else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        do {
            let data = try encoder.encode(store)
            let directory = database.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let temporary = directory.appendingPathComponent(".\(Self.fileName).\(getpid()).tmp")
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            guard rename(temporary.path, database.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw StandInError.database(file: database.path, reason: reason)
            }
            lastSaveError = nil
        } catch {
            lastSaveError = "\(database.path): \(error)"
        }
    }
}
