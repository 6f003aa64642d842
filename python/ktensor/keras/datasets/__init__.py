from . import digits
from . import cifar10, cifar100, fashion_mnist, mnist
