namespace Crema.IO;

/// <summary>
/// A file written in full or not at all: the bytes go to a temporary file in the target's folder, and
/// <see cref="Commit"/> flushes it to disk and renames it over the target (an atomic replace on one file system).
/// Disposing without committing deletes the temporary file and leaves the target as it was.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly FileStream stream;
    private bool committed;
    private bool disposed;

    private AtomicFile(string path, string temporaryPath, FileStream stream)
    {
        Path = path;
        TemporaryPath = temporaryPath;
        this.stream = stream;
    }

    /// <summary>The file that <see cref="Commit"/> creates or replaces.</summary>
    internal string Path { get; }

    /// <summary>The temporary file being written (same folder, hidden name ending in <c>.tmp</c>).</summary>
    internal string TemporaryPath { get; }

    /// <summary>Where to write the content.</summary>
    internal Stream Stream
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return stream;
        }
    }

    /// <summary>Starts writing <paramref name="path"/>; its folder must exist.</summary>
    internal static AtomicFile Create(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(full) ?? ".";
        string temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        return new AtomicFile(full, temporary, stream);
    }

    /// <summary>Flushes the content to disk and moves it into place, replacing any existing file.</summary>
    internal void Commit()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        File.Move(TemporaryPath, Path, overwrite: true);
        committed = true;
        Dispose();
    }

    /// <summary>Closes the file; without <see cref="Commit"/>, deletes the temporary file.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        stream.Dispose();
        if (!committed)
        {
            try
            {
                File.Delete(TemporaryPath);
            }
            catch (IOException)
            {
                // Best effort: the failure that got us here is the one worth reporting.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
