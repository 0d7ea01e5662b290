namespace Crema;

/// <summary>Status codes of the native library (CREMA_STATUS_* in crema.h).</summary>
public enum CremaStatus
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>An argument was rejected (NULL handle, negative size, dimension past int32...).</summary>
    InvalidArgument = 1,
    /// <summary>A CUDA runtime call failed.</summary>
    CudaError = 2,
    /// <summary>A cuBLAS call failed.</summary>
    CublasError = 3,
    /// <summary>Device or pinned host memory could not be allocated.</summary>
    OutOfMemory = 4,
    /// <summary>No CUDA device (or no driver) is visible.</summary>
    NoDevice = 5,
    /// <summary>The driver is older than the CUDA runtime the library was built with.</summary>
    DriverTooOld = 6,
    /// <summary>Queued work has not finished yet (stream and event queries).</summary>
    NotReady = 7,
    /// <summary>An unexpected C++ exception was caught at the library boundary.</summary>
    InternalError = 8,
}

/// <summary>An error reported by the native library, or a failure to use it.</summary>
public class CremaException : Exception
{
    /// <summary>Creates an exception with a status and a message.</summary>
    public CremaException(CremaStatus status, string message)
        : base(message) => Status = status;

    /// <summary>Creates an exception with a status, a message and its cause.</summary>
    public CremaException(CremaStatus status, string message, Exception? inner)
        : base(message, inner) => Status = status;

    /// <summary>The native status code.</summary>
    public CremaStatus Status { get; }
}

/// <summary>Why the GPU engine cannot be used.</summary>
public enum GpuUnavailableReason
{
    /// <summary>The native library (libcrema.so / crema.dll) or one of its dependencies could not be loaded.</summary>
    LibraryMissing,
    /// <summary>No CUDA driver or no CUDA device is present.</summary>
    NoDevice,
    /// <summary>The CUDA driver is older than the runtime the native library was built with.</summary>
    DriverTooOld,
    /// <summary>The requested device index does not exist.</summary>
    DeviceNotFound,
    /// <summary>Any other failure while initialising CUDA.</summary>
    InitializationFailed,
}

/// <summary>The GPU engine was asked for but cannot be used; <see cref="Exception.Message"/> gives the reason.</summary>
public sealed class GpuUnavailableException : CremaException
{
    /// <summary>Creates the exception.</summary>
    public GpuUnavailableException(GpuUnavailableReason reason, string message, Exception? inner = null)
        : base(reason switch
        {
            GpuUnavailableReason.NoDevice => CremaStatus.NoDevice,
            GpuUnavailableReason.DriverTooOld => CremaStatus.DriverTooOld,
            GpuUnavailableReason.DeviceNotFound => CremaStatus.InvalidArgument,
            _ => CremaStatus.CudaError,
        }, message, inner) => Reason = reason;

    /// <summary>The category of the failure.</summary>
    public GpuUnavailableReason Reason { get; }
}
