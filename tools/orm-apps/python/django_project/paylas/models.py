from django.db import models
from django.utils import timezone


class User(models.Model):
    email = models.EmailField(max_length=255, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    is_admin = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'users'


class Group(models.Model):
    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, db_column='created_by', related_name='+')
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'groups'


class GroupMember(models.Model):
    # Django 3.2 has no composite primary keys: an id and a unique pair, as Django apps do.
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'group_members'
        unique_together = [('group', 'user')]


class Order(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    creator = models.ForeignKey(User, on_delete=models.PROTECT, related_name='+')
    total = models.DecimalField(max_digits=10, decimal_places=2)
    data = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'orders'
