using System.Runtime.CompilerServices;
using System.Text;

namespace Crema.Interop;

/// <summary>Turns a native status into a <see cref="CremaException"/> that says which call failed and why.</summary>
internal static class NativeStatus
{
    internal static void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string expression = "")
    {
        if (status != (int)CremaStatus.Ok)
        {
            throw Create(status, expression);
        }
    }

    internal static CremaException Create(int status, string expression)
    {
        var code = (CremaStatus)status;
        string text = LastErrorMessage();
        // The expression may be "IsFloat<T>() ? CremaNative.crema_sasum(...) : ..."; name the first native call.
        var native = System.Text.RegularExpressions.Regex.Match(expression, @"crema_\w+");
        string call = native.Success ? native.Value : expression.Split('(', 2)[0];
        string message = string.IsNullOrEmpty(text) ? $"{call} failed with {code}" : $"{text} [{code} from {call}]";
        return code == CremaStatus.InvalidArgument
            ? new CremaException(code, message, new ArgumentException(text))
            : new CremaException(code, message);
    }

    /// <summary>The calling thread's last native error message.</summary>
    internal static unsafe string LastErrorMessage()
    {
        CremaNative.crema_get_last_error(null, 0, out long length);
        if (length <= 0)
        {
            return "";
        }

        var buffer = new byte[length + 1];
        fixed (byte* p = buffer)
        {
            CremaNative.crema_get_last_error(p, buffer.Length, out _);
        }

        return Encoding.UTF8.GetString(buffer, 0, (int)length);
    }
}
