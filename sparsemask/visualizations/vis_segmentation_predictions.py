"""A figure of the predictions of a segmentation model."""

import numpy


def vis_segmentation_predictions(model, dataset, indices, label_names):
    """Draws images of a data set, their labels and a model's prediction.

    One row per image: the image, the ground truth and the prediction
    (with its pixel accuracy) overlaid in the VOC colours, and a legend of
    the classes shown below.

    Args:
        model (~sparsemask.links.SparseMask): the model (its ``predict``).
        dataset: a data set of ``(img, label)`` (CHW RGB, HW int32, -1
            ignored).
        indices (list of int): the images to draw.
        label_names (sequence of str): the class names.

    Returns:
        tuple: ``(fig, accuracies)``: the :class:`matplotlib.figure.Figure`
        and each image's pixel accuracy (None where every pixel is
        ignored).

    """
    from chainercv.visualizations import vis_image
    from chainercv.visualizations import vis_semantic_segmentation
    from chainercv.visualizations.colormap import voc_colormap
    from matplotlib import patches
    from matplotlib import pyplot as plt

    n_class = len(label_names)
    colors = voc_colormap(list(range(n_class))) / 255.0
    fig, axes = plt.subplots(len(indices), 3, squeeze=False,
                             figsize=(9.0, 3.0 * len(indices) + 0.6))
    seen = set()
    accuracies = []
    ignored = False
    for row, i in enumerate(indices):
        img, gt = dataset[i]
        pred = model.predict([img])[0]
        valid = gt >= 0
        accuracy = float((pred == gt)[valid].mean()) if valid.any() \
            else None
        accuracies.append(accuracy)
        seen.update(numpy.unique(gt[valid]).tolist())
        seen.update(numpy.unique(pred).tolist())
        ignored = ignored or not valid.all()
        vis_image(img, ax=axes[row, 0])
        vis_semantic_segmentation(img, gt, label_names, alpha=0.6,
                                  ax=axes[row, 1])
        vis_semantic_segmentation(img, pred, label_names, alpha=0.6,
                                  ax=axes[row, 2])
        axes[row, 0].set_title('image {} ({}x{})'.format(
            i, img.shape[2], img.shape[1]), fontsize='medium')
        axes[row, 1].set_title('ground truth', fontsize='medium')
        axes[row, 2].set_title('prediction' + (
            '' if accuracy is None else
            ' (pixel acc. {:.1f}%)'.format(100 * accuracy)),
            fontsize='medium')
        for ax in axes[row]:
            ax.set_axis_off()
    handles = [patches.Patch(color=colors[l], label=label_names[l])
               for l in sorted(seen)]
    if ignored:
        handles.append(patches.Patch(color='black', label='ignored (-1)'))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.legend(handles=handles, loc='upper center',
               bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 4),
               frameon=False, fontsize='small')
    return fig, accuracies
