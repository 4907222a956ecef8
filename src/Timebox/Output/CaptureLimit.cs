namespace Timebox.Output;

/// <summary>How much of a stream a limited capture keeps: the first <paramref name="HeadBytes"/> and the last <paramref name="TailBytes"/>.</summary>
internal sealed record CaptureLimit(long HeadBytes, long TailBytes, OutputLimitAction Action)
{
    public long MaxBytes => HeadBytes + TailBytes;
}
