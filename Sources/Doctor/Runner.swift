import Foundation
import Synchronization

extension Doctor {
    /// Runs checks concurrently, each against its own timeout. A check that hangs, even one that
    /// ignores cancellation, becomes a failed check when its time is up: the runner never waits
    /// for it, so a hung dependency cannot hang the doctor.
    public struct Runner: Sendable {
        public init() {}

        public func run(_ checks: [Check]) async -> Report {
            let results = await withTaskGroup(of: (Int, Result).self) { group in
                for (index, check) in checks.enumerated() {
                    group.addTask { (index, await Self.runOne(check)) }
                }
                var collected: [(Int, Result)] = []
                for await item in group { collected.append(item) }
                return collected.sorted { $0.0 < $1.0 }.map(\.1)
            }
            return Report(results: results)
        }

        static func runOne(_ check: Check) async -> Result {
            let clock = ContinuousClock()
            let start = clock.now
            let finding = await race(check.run, timeout: check.timeout, name: check.name)
            return Result(group: check.group, check: check.name, finding: finding, duration: clock.now - start)
        }

        /// Resumes with whichever comes first: the check's finding, or the timeout's failure.
        /// The loser is cancelled; the check's task is not awaited.
        static func race(_ body: @escaping @Sendable () async throws -> Finding, timeout: Duration, name: String) async -> Finding {
            await withCheckedContinuation { (continuation: CheckedContinuation<Finding, Never>) in
                let race = Race(continuation)
                race.start(
                    work: Task {
                        do {
                            race.finish(try await body())
                        } catch is CancellationError {
                            race.finish(.failure("check cancelled before it finished", code: "check.cancelled"))
                        } catch {
                            race.finish(.failure("check could not run: \(error)", evidence: [String(describing: error)], code: "check.threw"))
                        }
                    },
                    timer: Task {
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        race.finish(
                            .failure(
                                "no answer within \(Self.format(timeout))",
                                evidence: ["check '\(name)' timed out"],
                                remedy: ["whatever this check talks to is hung or unreachable; look at it directly"], code: "check.timedOut"))
                    })
            }
        }

        public static func format(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return seconds >= 1 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds * 1000).rounded())) ms"
        }
    }

    /// The first of two tasks to call `finish` resumes the continuation and cancels both.
    private final class Race: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Finding, Never>?
            var tasks: [Task<Void, Never>] = []
        }
        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<Finding, Never>) {
            state = Mutex(State(continuation: continuation))
        }

        func start(work: Task<Void, Never>, timer: Task<Void, Never>) {
            let finished = state.withLock { state in
                state.tasks = [work, timer]
                return state.continuation == nil
            }
            if finished { work.cancel(); timer.cancel() }
        }

        func finish(_ finding: Finding) {
            let (continuation, tasks) = state.withLock { state in
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            guard let continuation else { return }
            continuation.resume(returning: finding)
            tasks.forEach { $0.cancel() }
        }
    }
}
