import Foundation
import Training
#if canImport(Glibc)
import Glibc
#endif

/// Open MPI, loaded at run time (`dlopen("libmpi.so.40")`): the binary builds, tests and runs without
/// MPI installed, and only `charrnn train` started by `mpirun` (which sets OMPI_COMM_WORLD_SIZE) loads
/// it. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) are addresses of its
/// globals, so they are looked up by name as well: this is Open MPI's ABI (Debian's `openmpi-bin`,
/// 4.1), not MPICH's. Collectives: MPI_Allreduce in place (fp32 sums) and MPI_Allgather.
public final class MPIGroup: TrainingGroup {
    public let rank: Int
    public let size: Int
    public private(set) var secondsCommunicating = 0.0

    private typealias Comm = UnsafeMutableRawPointer
    private let world: Comm, float: UnsafeMutableRawPointer, sumOp: UnsafeMutableRawPointer
    private let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer,
                                           UnsafeMutableRawPointer, Comm) -> Int32
    private let allgather: @convention(c) (UnsafeRawPointer?, Int32, UnsafeMutableRawPointer, UnsafeMutableRawPointer?, Int32,
                                           UnsafeMutableRawPointer, Comm) -> Int32
    private let finalize: @convention(c) () -> Int32
    private let abortJob: @convention(c) (Comm, Int32) -> Int32

    /// The number of ranks `mpirun` started this process among, or nil when it did not start it.
    public static var launchedRanks: Int? {
        let env = ProcessInfo.processInfo.environment
        return (env["OMPI_COMM_WORLD_SIZE"] ?? env["PMIX_SIZE"]).flatMap(Int.init)
    }

    /// Loads Open MPI and joins the job (MPI_Init); a one-line reason when it cannot.
    public init() throws(TrainingError) {
        var loaded: UnsafeMutableRawPointer?
        for name in ["libmpi.so.40", "libmpi.so"] where loaded == nil { loaded = dlopen(name, RTLD_NOW | RTLD_GLOBAL) }
        guard let library = loaded else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw .invalidOptions("mpirun started this run, but Open MPI's libmpi.so.40 cannot be loaded "
                                  + "(apt-get install openmpi-bin libopenmpi-dev): \(reason)")
        }
        func symbol(_ name: String) throws(TrainingError) -> UnsafeMutableRawPointer {
            guard let s = dlsym(library, name) else { throw .invalidOptions("libmpi.so lacks \(name): not Open MPI 4?") }
            return s
        }
        func function<F>(_ name: String, as: F.Type) throws(TrainingError) -> F { unsafeBitCast(try symbol(name), to: F.self) }
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        sumOp = try symbol("ompi_mpi_op_sum")
        allreduce = try function("MPI_Allreduce", as: type(of: allreduce))
        allgather = try function("MPI_Allgather", as: type(of: allgather))
        finalize = try function("MPI_Finalize", as: type(of: finalize))
        abortJob = try function("MPI_Abort", as: type(of: abortJob))
        let initialize = try function("MPI_Init", as: (@convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32).self)
        let commRank = try function("MPI_Comm_rank", as: (@convention(c) (Comm, UnsafeMutablePointer<Int32>) -> Int32).self)
        let commSize = try function("MPI_Comm_size", as: (@convention(c) (Comm, UnsafeMutablePointer<Int32>) -> Int32).self)
        let setErrorHandler = try function("MPI_Comm_set_errhandler", as: (@convention(c) (Comm, UnsafeMutableRawPointer) -> Int32).self)
        // A rank waiting in a collective yields its core (on 2 cores, rank 0 evaluates while the others wait).
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0)
        guard initialize(nil, nil) == 0 else { throw .invalidOptions("MPI_Init failed") }
        // Errors come back as codes (charrnn says what failed) instead of aborting inside the library.
        _ = setErrorHandler(world, try symbol("ompi_mpi_errors_return"))
        var r: Int32 = 0, n: Int32 = 0
        _ = commRank(world, &r)
        _ = commSize(world, &n)
        rank = Int(r)
        size = Int(n)
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(TrainingError) {
        guard values.count > 0 else { return }
        let status = timed { allreduce(UnsafeRawPointer(bitPattern: 1), values.baseAddress, Int32(values.count), float, sumOp, world) }  // MPI_IN_PLACE
        if status != 0 { throw Self.lost("MPI_Allreduce", status) }
    }

    public func gather(_ piece: [Float]) throws(TrainingError) -> [Float] {
        var all = [Float](repeating: 0, count: piece.count * size)
        let status = timed {
            piece.withUnsafeBytes { p in
                all.withUnsafeMutableBytes { a in allgather(p.baseAddress, Int32(piece.count), float, a.baseAddress, Int32(piece.count), float, world) }
            }
        }
        if status != 0 { throw Self.lost("MPI_Allgather", status) }
        return all
    }

    /// Runs a collective, adding its time to `secondsCommunicating`.
    private func timed(_ call: () -> Int32) -> Int32 {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { secondsCommunicating += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        return call()
    }

    private static func lost(_ call: String, _ status: Int32) -> TrainingError {
        .invalidOptions("\(call) failed (MPI error \(status)): another rank has stopped; the last checkpoint stays, continue with --resume")
    }

    /// Leaves the job (MPI_Finalize) after a run that ended alike on every rank.
    public func finish() { _ = finalize() }

    /// Ends every rank of the job (after an error on this one that the others cannot see).
    public func abort(status: Int32) -> Never {
        _ = abortJob(world, status)
        exit(status)
    }
}
