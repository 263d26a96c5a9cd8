"""A figure of the saliency or edge maps of a model."""

import numpy


def vis_map_predictions(model, dataset, indices, task):
    """Draws images of a data set, their labels and a model's map.

    Saliency: one row per image: the image, the mask and the saliency map
    (with its MAE). Edges: the image, the annotators' consensus (grey:
    ignored), the edge map (with the image's F at its best threshold
    against every annotator, OIS) and the edge map after NMS; edges are
    drawn black on white, as in the BSDS figures.

    The MAE is pysodmetrics' MAE of the min-max normalised uint8 map, as
    ``eval/evaluate.py`` computes it
    (:class:`~sparsemask.evaluations.SaliencyMetrics`), not the raw mean of
    ``|prob - mask|``.

    Args:
        model (~sparsemask.links.SparseMask): a one-map model.
        dataset: a data set of ``(img, label)`` (HW labels in {0, 1}, -1
            ignored).
        indices (list of int): the images to draw.
        task (str): ``'saliency'`` or ``'edge'``.

    Returns:
        tuple: ``(fig, scores, mae)``: the
        :class:`matplotlib.figure.Figure`, each image's score (MAE or OIS
        F) and, for saliency, the MAE over the images (None for edges).

    """
    from chainercv.visualizations import vis_image
    from matplotlib import pyplot as plt

    from sparsemask.evaluations import dataset_boundaries
    from sparsemask.evaluations import edge_nms
    from sparsemask.evaluations import EdgeMetrics
    from sparsemask.evaluations import predict_probabilities
    from sparsemask.evaluations import SaliencyMetrics

    columns = 3 if task == 'saliency' else 4
    # (edges drawn black on white, as in the BSDS figures)
    cmap = 'gray' if task == 'saliency' else 'gray_r'
    fig, axes = plt.subplots(len(indices), columns, squeeze=False,
                             figsize=(3.0 * columns, 3.0 * len(indices) + 0.4))
    scores = []
    saliency = SaliencyMetrics() if task == 'saliency' else None
    for row, i in enumerate(indices):
        img, gt = dataset[i]
        prob = predict_probabilities(model, img)[0]
        valid = gt >= 0
        if task == 'saliency':
            saliency.add(prob, gt)
            score = saliency.maes[-1]
            caption = 'saliency map (MAE {:.3f})'.format(score)
        else:
            metrics = EdgeMetrics(thresholds=19)
            metrics.add(prob, dataset_boundaries(dataset, i))
            score = metrics.result()['ois']
            caption = 'edge map (F {:.3f})'.format(score)
        scores.append(score)
        vis_image(img, ax=axes[row, 0])
        axes[row, 0].set_title('image {} ({}x{})'.format(
            i, img.shape[2], img.shape[1]), fontsize='medium')
        shown = numpy.where(valid, gt, 0.5).astype(numpy.float32)
        axes[row, 1].imshow(shown, cmap=cmap, vmin=0, vmax=1)
        axes[row, 1].set_title(
            'ground truth' if task == 'saliency' else
            'edges (grey: ignored)', fontsize='medium')
        axes[row, 2].imshow(prob, cmap=cmap, vmin=0, vmax=1)
        axes[row, 2].set_title(caption, fontsize='medium')
        if task == 'edge':
            axes[row, 3].imshow(edge_nms(prob), cmap=cmap, vmin=0, vmax=1)
            axes[row, 3].set_title('after NMS', fontsize='medium')
        for ax in axes[row]:
            ax.set_axis_off()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    mae = None if saliency is None else saliency.result()['mae']
    return fig, scores, mae
