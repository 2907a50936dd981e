import Foundation
import Synchronization
import VitalsCore
import VitalsEngine

/// The services that registered themselves through the agent API: kept in memory for answers,
/// in the state file across restarts, and handed to the engine (which then runs their checks)
/// in batches, so a burst of registrations rebuilds the engine once, not once each.
public final class ServiceRegistry: Sendable {
    /// Why a registration or deregistration was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// The ID is a node of the cluster file, or a check ID is another registration's.
        case conflict(String)
        /// The registry holds `limit` registrations already.
        case full(limit: Int)
        /// No registration with that ID.
        case notFound(String)
        /// The ID belongs to the cluster file, which only an edit of the file changes.
        case fromFile(String)
    }

    private struct Book: Sendable {
        var byID: [String: (seq: Int, registration: Registration)] = [:]
        var nextSeq = 0
        /// Which registration owns each Consul check ID.
        var checkOwner: [String: String] = [:]
        /// Bumped by every change; the engine has been given `applied`.
        var version: UInt64 = 0
        var applied: UInt64 = 0
        /// Changes not yet written to the state file.
        var unsaved: [String: Registration] = [:]
        var removed: [String: (by: String, why: String)] = [:]
    }

    /// The most registrations kept at once.
    public let limit: Int
    private let book = Mutex(Book())
    private let store: AlertStateStore?
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    /// Why the state file could not keep the newest changes (nil when it could).
    public let problem = Mutex<String?>(nil)

    public static let defaultLimit = 10_000

    public init(store: AlertStateStore?, limit: Int = ServiceRegistry.defaultLimit) {
        self.store = store
        self.limit = limit
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Every registration, oldest first.
    public var all: [Registration] {
        book.withLock { book in book.byID.values.sorted { $0.seq < $1.seq }.map(\.registration) }
    }

    public var count: Int { book.withLock { $0.byID.count } }

    /// Bumped by every change.
    public var version: UInt64 { book.withLock { $0.version } }

    /// Whether the engine runs every registration made so far.
    public var isApplied: Bool { book.withLock { $0.applied == $0.version } }

    public func registration(id: String) -> Registration? { book.withLock { $0.byID[id]?.registration } }

    /// The registration owning the check with Consul ID `checkID`, and that check.
    public func owner(ofCheck checkID: String) -> (Registration, RegisteredCheck)? {
        book.withLock { book in
            guard let id = book.checkOwner[checkID], let registration = book.byID[id]?.registration,
                  let check = registration.check(consulID: checkID) else { return nil }
            return (registration, check)
        }
    }

    /// Adds `registration`, or replaces the one with its ID (Consul's re-registration).
    /// - Parameter fileNodes: the cluster file's node names, which no ID may take.
    /// - Returns: whether it is new.
    @discardableResult
    public func register(_ registration: Registration, fileNodes: Set<String>, file: String) throws(Refusal) -> Bool {
        if fileNodes.contains(registration.id) {
            throw .conflict("ID '\(registration.id)' is a node of the cluster file \(file): give the registration another ID")
        }
        let new = try book.withLock { (book: inout Book) throws(Refusal) -> Bool in
            let existing = book.byID[registration.id]
            if existing == nil, book.byID.count >= limit { throw .full(limit: limit) }
            for check in registration.checks {
                if let owner = book.checkOwner[check.id], owner != registration.id {
                    throw .conflict("CheckID '\(check.id)' is already a check of registration '\(owner)'")
                }
            }
            if let existing {
                for check in existing.registration.checks { book.checkOwner[check.id] = nil }
            }
            for check in registration.checks { book.checkOwner[check.id] = registration.id }
            let seq = existing?.seq ?? book.nextSeq
            if existing == nil { book.nextSeq += 1 }
            book.byID[registration.id] = (seq, registration)
            book.unsaved[registration.id] = registration
            book.removed[registration.id] = nil
            book.version += 1
            return existing == nil
        }
        wake.yield()
        return new
    }

    /// Removes the registration `id`; `by` and `why` go to the state file's journal.
    @discardableResult
    public func deregister(_ id: String, by: String, why: String) throws(Refusal) -> Registration {
        let gone = try book.withLock { (book: inout Book) throws(Refusal) -> Registration in
            guard let entry = book.byID.removeValue(forKey: id) else { throw .notFound(id) }
            for check in entry.registration.checks { book.checkOwner[check.id] = nil }
            book.unsaved[id] = nil
            book.removed[id] = (by, why)
            book.version += 1
            return entry.registration
        }
        wake.yield()
        return gone
    }

    /// Reads the registrations the state file kept, decoding each body again with `decoder`
    /// (the running file's defaults and rules).
    /// - Returns: why some could not be taken back (their rows stay in the file).
    public func restore(decoder: RegistrationDecoder, fileNodes: Set<String>, file: String) -> [String] {
        guard let store else { return [] }
        let stored: [AlertStateStore.StoredRegistration]
        do { stored = try store.registrations() } catch { return [error.description] }
        var problems: [String] = []
        for row in stored {
            switch decoder.decode(row.body, caller: row.by, at: row.at) {
            case .success(let registration):
                do {
                    try register(registration, fileNodes: fileNodes, file: file)
                } catch {
                    problems.append("registration '\(row.id)' from the state file: \(Self.describe(error))")
                }
            case .failure(let failure):
                problems.append("registration '\(row.id)' from the state file: \(failure)")
            }
        }
        book.withLock { book in
            book.unsaved.removeAll()
            book.applied = book.version
        }
        return problems
    }

    /// Writes each batch of changes to the state file and hands it to `apply` (the engine rebuilt
    /// with every registration), until the task is cancelled; once a second, deregisters the
    /// registrations whose checks have been critical longer than their
    /// `DeregisterCriticalServiceAfter` (`reaped` says which, and why).
    public func run(
        snapshot: @escaping @Sendable () -> ClusterSnapshot,
        apply: @escaping @Sendable ([Registration]) async -> Void,
        reaped: @escaping @Sendable (Registration, String) -> Void = { _, _ in }
    ) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in self.wakes {
                    // A burst of registrations arrives within a few milliseconds: take it whole.
                    try? await Task.sleep(for: .milliseconds(20))
                    let (version, registrations) = self.book.withLock { ($0.version, $0.byID.values.sorted { $0.seq < $1.seq }.map(\.registration)) }
                    // Kept before shown: what the panes show is already in the state file.
                    self.save()
                    await apply(registrations)
                    self.book.withLock { $0.applied = max($0.applied, version) }
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: .seconds(1))) != nil {
                    for (registration, why) in self.due(in: snapshot(), at: Date()) {
                        guard (try? self.deregister(registration.id, by: "vitals", why: why)) != nil else { continue }
                        reaped(registration, why)
                    }
                }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                } onCancel: {
                    self.wake.finish()
                }
            }
        }
        save()
    }

    /// Registrations with a check past its `DeregisterCriticalServiceAfter` in `snapshot`, and why.
    public func due(in snapshot: ClusterSnapshot, at time: Date) -> [(Registration, String)] {
        let registrations = book.withLock { $0.byID }
        var result: [(Registration, String)] = []
        for service in snapshot.services {
            guard let registration = registrations[service.node]?.registration, registration.name == service.name else { continue }
            guard let check = service.checks.first(where: { ($0.deregisterAt ?? .distantFuture) <= time }) else { continue }
            let after = registration.checks.first { $0.config.name == check.name }?.config.deregisterCriticalAfter?.goString ?? "?"
            result.append((registration, "check '\(check.name)' critical longer than DeregisterCriticalServiceAfter \(after)"))
        }
        return result
    }

    /// Writes the changes since the last write to the state file.
    func save() {
        guard let store else { return }
        let (saved, removed) = book.withLock { book in
            defer {
                book.unsaved.removeAll()
                book.removed.removeAll()
            }
            return (Array(book.unsaved.values), book.removed.map { (id: $0.key, by: $0.value.by, why: $0.value.why) })
        }
        do {
            try store.update(
                registrations: saved.map { AlertStateStore.StoredRegistration(id: $0.id, body: $0.body, by: $0.by, at: $0.at) },
                removed: removed, at: Date()
            )
            problem.withLock { $0 = nil }
        } catch {
            problem.withLock { $0 = error.description }
        }
    }

    public static func describe(_ refusal: Refusal) -> String {
        switch refusal {
        case .conflict(let why): why
        case .full(let limit): "the registry holds its limit of \(limit) registrations (--max-registrations); deregister some first"
        case .notFound(let id): "no registered service has ID '\(id)'"
        case .fromFile(let id): "'\(id)' is defined by the cluster file: edit the file and reload to change it"
        }
    }
}

extension ServiceRegistry {
    /// `run` for an engine that `runner` runs: each batch rebuilds it as the file's nodes plus
    /// every registration (in turn with reloads), and a service deregistered for staying critical
    /// is said in the alert history.
    public func run(on runner: EngineRunner, reaped: @escaping @Sendable (Registration, String) -> Void = { _, _ in }) async {
        await run(snapshot: { runner.engine.store.latest }) { registrations in
            await runner.serially {
                let config = runner.engine.config.fileOnly.adding(registrations)
                guard config != runner.engine.config else { return }
                await runner.replace(with: config)
            }
        } reaped: { registration, why in
            runner.engine.recordInHistory(
                name: "Deregistered", node: registration.id, service: registration.name, summary: "\(registration.id) deregistered: \(why)"
            )
            reaped(registration, why)
        }
    }
}
