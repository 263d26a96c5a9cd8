"""What the evaluations of one-channel maps (saliency, edges) share."""


def process_indices(dataset, comm):
    # the examples this process evaluates
    if comm is None:
        return range(len(dataset))
    return range(comm.rank, len(dataset), comm.size)


def gather_metrics(metrics, comm):
    # every process's metrics merged, on every process
    if comm is None:
        return metrics
    everyone = comm.allreduce_obj([metrics])
    merged = everyone[0]
    for other in everyone[1:]:
        merged.merge(other)
    return merged


def check_binary_label(label, img, i):
    if label.shape != img.shape[1:]:
        raise ValueError(
            'example {}: the label is {}x{} but the image {}x{}'.format(
                i, label.shape[0], label.shape[1], img.shape[1],
                img.shape[2]))
    bad = label[(label < 0) | (label > 1)]
    if bad.size:
        raise ValueError(
            'example {}: label value {} is out of range (expected 0 or '
            '1)'.format(i, int(bad[0])))
