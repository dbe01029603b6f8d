import Foundation
import Grafana

extension Doctor {
    /// How the default-password check stays clear of Grafana's login lockout (5 failed logins of a
    /// user in 5 minutes block it, the right password included): it judges from StackPilot's own
    /// accepted credentials when it can (logged in as admin with another password: changed; as
    /// admin/admin: not changed), and otherwise tries admin/admin at most once per
    /// `minimumInterval` for the whole machine, remembering the answer in `stateFile` (0600).
    /// `mayAttempt` is false for supervise's periodic doctor, which never tries and reports the
    /// remembered answer.
    public struct DefaultPasswordPolicy: Sendable {
        public var stateFile: URL?
        public var mayAttempt: Bool
        public var minimumInterval: TimeInterval
        public var now: @Sendable () -> Date

        public init(stateFile: URL?, mayAttempt: Bool = true, minimumInterval: TimeInterval = 600, now: @escaping @Sendable () -> Date = { Date() }) {
            self.stateFile = stateFile
            self.mayAttempt = mayAttempt
            self.minimumInterval = minimumInterval
            self.now = now
        }

        /// `$STACKPILOT_STATE_DIR`, else `$XDG_STATE_HOME/stackpilot`, else `~/.local/state/stackpilot`;
        /// the file is `grafana-default-password.json`.
        public static func defaultStateFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
            let directory: String
            if let explicit = environment["STACKPILOT_STATE_DIR"], !explicit.isEmpty {
                directory = explicit
            } else if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
                directory = xdg + "/stackpilot"
            } else if let home = environment["HOME"], !home.isEmpty {
                directory = home + "/.local/state/stackpilot"
            } else {
                return nil
            }
            return URL(fileURLWithPath: directory).appendingPathComponent("grafana-default-password.json")
        }
    }

    /// What the check knows without trying admin/admin.
    enum DefaultPasswordVerdict: Equatable, Sendable {
        case stillDefault, changed, unknown
    }

    /// Pure: Grafana has one password per user, so StackPilot's own accepted login as `admin` says
    /// whether admin/admin still works.
    static func judgeDefaultPassword(credentials: Grafana.Credentials, accepted: Bool) -> DefaultPasswordVerdict {
        guard accepted, case .basic(let user, let password) = credentials, user == "admin" else { return .unknown }
        return password == "admin" ? .stillDefault : .changed
    }

    /// The last admin/admin attempt (no secret: the URL, when, and whether it was accepted).
    struct DefaultPasswordMemory: Codable, Equatable, Sendable {
        var url: String
        var attemptedAt: Date
        var acceptsDefault: Bool
    }

    /// Pure: whether the check may try admin/admin now.
    static func mayTryDefaultPassword(memory: DefaultPasswordMemory?, url: String, now: Date, policy: DefaultPasswordPolicy) -> Bool {
        guard policy.mayAttempt else { return false }
        guard let memory, memory.url == url else { return true }
        return now.timeIntervalSince(memory.attemptedAt) >= policy.minimumInterval || now < memory.attemptedAt
    }

    static func readMemory(_ file: URL?) -> DefaultPasswordMemory? {
        guard let file, let data = FileManager.default.contents(atPath: file.path), data.count < 4096 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(DefaultPasswordMemory.self, from: data)
    }

    /// Best effort: a machine where the state cannot be written tries at most once per run.
    static func writeMemory(_ memory: DefaultPasswordMemory, to file: URL?) {
        guard let file else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        guard let data = try? encoder.encode(memory) else { return }
        writeStateFile(data, to: file)
    }

    /// temp + rename, 0600 in a 0700 directory.
    static func writeStateFile(_ data: Data, to file: URL) {
        let directory = file.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary.path, file.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    /// Runs its body once for all the checks of one doctor run that need it (one login, not two).
    actor Once<Value: Sendable> {
        private var task: Task<Value, any Error>?
        private let body: @Sendable () async throws -> Value

        init(_ body: @escaping @Sendable () async throws -> Value) { self.body = body }

        func run() async throws -> Value {
            if task == nil { task = Task { [body] in try await body() } }
            return try await task!.value
        }
    }

    /// A refusal of StackPilot's credentials, remembered beside the default-password memory
    /// (`grafana-credentials.json`, 0600) so that no run tries refused credentials again within
    /// `minimumInterval`. `fingerprint` tells changed credentials apart without keeping a secret.
    struct CredentialsRefusal: Codable, Equatable, Sendable {
        var url: String
        var fingerprint: String
        var refusedAt: Date
    }

    /// The user or token kind, and 16 bits of an FNV-1a hash of the secret: enough to notice a new
    /// password or token (which is then tried at once), far too little to tell anything about it.
    static func credentialsFingerprint(_ credentials: Grafana.Credentials) -> String {
        let text: String
        switch credentials {
        case .basic(let user, let password): text = "basic:\(user):\(password)"
        case .bearer(let token): text = "bearer:\(token)"
        case .none: text = "none"
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let user: String
        if case .basic(let name, _) = credentials { user = name } else { user = "token" }
        return "\(user)/\(String(hash & 0xffff, radix: 16))"
    }

    /// Pure: refused credentials are tried again only after `minimumInterval` (or when the clock went back).
    static func mayRetryCredentials(refusedAt: Date, now: Date, minimumInterval: TimeInterval) -> Bool {
        now.timeIntervalSince(refusedAt) >= minimumInterval || now < refusedAt
    }

    static func readRefusal(_ file: URL?) -> CredentialsRefusal? {
        guard let file, let data = FileManager.default.contents(atPath: file.path), data.count < 4096 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(CredentialsRefusal.self, from: data)
    }

    static func writeRefusal(_ refusal: CredentialsRefusal, to file: URL?) {
        guard let file else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        guard let data = try? encoder.encode(refusal) else { return }
        writeStateFile(data, to: file)
    }
}
