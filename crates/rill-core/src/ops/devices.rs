//! Devices for push: register, list, remove. A user manages their own devices; a server call names the user.

use crate::error::{CoreError, CoreResult};
use crate::model::Device;
use crate::ops::{acting_user, Context, Outcome};
use crate::store::Tx;
use rill_protocol::limits::{MAX_DEVICES_PER_USER, MAX_DEVICE_ID_BYTES, MAX_PUSH_PROVIDER_NAME_BYTES};
use rill_protocol::request::CreateDeviceRequest;

/// The user whose devices a call is about: the token's user, or the `user_id` a server call names.
fn owner(ctx: &Context) -> CoreResult<String> {
    ctx.actor.user_id().map(str::to_owned).ok_or_else(|| CoreError::input("user_id is required with a server token"))
}

/// `POST /devices`: registers a push token for the user (again: nothing changes; another user's: it moves).
/// Only `firebase` and `apn`, the providers Rill pushes to, are taken. Past [`MAX_DEVICES_PER_USER`], the user's
/// oldest devices go. Cost: the user's devices.
pub async fn create_device(tx: &mut dyn Tx, ctx: &Context, request: &CreateDeviceRequest) -> CoreResult<Outcome<()>> {
    let user_id = owner(ctx)?;
    let id = request.id.trim();
    if id.is_empty() || id.len() > MAX_DEVICE_ID_BYTES || id.chars().any(char::is_control) {
        return Err(CoreError::input(format!("id (the push token) must have 1 to {MAX_DEVICE_ID_BYTES} bytes")));
    }
    match request.push_provider.as_str() {
        "firebase" | "apn" => {}
        "huawei" | "xiaomi" => {
            return Err(CoreError::input(format!(
                "push_provider {:?} is not served by Rill (firebase and apn are)",
                request.push_provider
            )))
        }
        other => {
            return Err(CoreError::input(format!(
                "push_provider must be firebase or apn, got {:?}",
                rill_protocol::limits::truncated(other)
            )))
        }
    }
    let name = request.push_provider_name.clone().filter(|name| !name.is_empty());
    if name.as_ref().is_some_and(|name| name.len() > MAX_PUSH_PROVIDER_NAME_BYTES) {
        return Err(CoreError::input(format!(
            "push_provider_name is longer than {MAX_PUSH_PROVIDER_NAME_BYTES} bytes"
        )));
    }
    let user = acting_user(tx, ctx).await?;
    if user.as_ref().is_some_and(|user| user.deleted_at.is_some()) {
        return Err(CoreError::not_allowed(format!("user {user_id} is deleted")));
    }
    let device = Device {
        id: id.to_owned(),
        user_id: user_id.clone(),
        push_provider: request.push_provider.clone(),
        push_provider_name: name,
        voip: request.voip_token.unwrap_or(false),
        disabled_reason: None,
        created_at: ctx.now,
    };
    tx.put_device(ctx.app_id(), &device).await?;
    let devices = tx.devices_of(ctx.app_id(), &user_id).await?;
    let surplus = devices.len().saturating_sub(MAX_DEVICES_PER_USER);
    for old in devices.iter().filter(|old| old.id != device.id).take(surplus) {
        tx.delete_device(ctx.app_id(), &user_id, &old.id).await?;
    }
    Ok(Outcome::new(()))
}

/// `GET /devices`: the user's devices, oldest first.
pub async fn list_devices(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<Vec<Device>> {
    let user_id = owner(ctx)?;
    tx.devices_of(ctx.app_id(), &user_id).await
}

/// `DELETE /devices?id=`: removes one of the user's devices (not theirs, or none: 404, code 16).
pub async fn delete_device(tx: &mut dyn Tx, ctx: &Context, id: Option<&str>) -> CoreResult<Outcome<()>> {
    let user_id = owner(ctx)?;
    let id =
        id.filter(|id| !id.is_empty()).ok_or_else(|| CoreError::input("id (the device's push token) is required"))?;
    if !tx.delete_device(ctx.app_id(), &user_id, id).await? {
        return Err(CoreError::not_found(format!(
            "user {user_id} has no device {}",
            rill_protocol::limits::truncated(id)
        )));
    }
    Ok(Outcome::new(()))
}
