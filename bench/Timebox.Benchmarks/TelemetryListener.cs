using System.Diagnostics;
using System.Diagnostics.Metrics;
using Timebox;

namespace Timebox.Benchmarks;

/// <summary>
/// Listens to Timebox's span and every instrument as OpenTelemetry's SDK does with everything sampled (the span's tags
/// and the measurements reach it), and keeps nothing: what listening costs a run, without any exporter's own work.
/// </summary>
internal sealed class TelemetryListener : IDisposable
{
    private readonly ActivityListener _activities = new()
    {
        ShouldListenTo = source => source.Name == TimeboxTelemetry.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = span => GC.KeepAlive(span.TagObjects),
    };

    private readonly MeterListener _meters = new()
    {
        InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TimeboxTelemetry.MeterName) listener.EnableMeasurementEvents(instrument);
        },
    };

    public TelemetryListener()
    {
        ActivitySource.AddActivityListener(_activities);
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        _meters.Start();
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
